"""Zero Trust Analytics `POST /api/track` (+ CORS preflight): 200 `{"success": true}`, `{"error"}`.

ZTA authorises by site id; a browser `Origin`, when present, must be one of the site's registered
domains. ZTA promises to drop bots silently: they get the normal success answer and are published
only as filtered hits (counted, never stored as events).
"""

from __future__ import annotations

from pydantic import ValidationError

from common.bots import classify_user_agent
from ingest.clientip import client_ip
from ingest.errors import BadRequest, Forbidden, IngestError, NotFound
from ingest.http_types import Request, Response
from ingest.routing import Route, Services
from ingest.sites import Site, normalise_host
from ingest.vendors.common import describe
from schemas.vendors.urls import hostname
from schemas.vendors.zero_trust import ZtaTrack

MAX_BODY = 64 * 1024
VENDOR = "zero_trust"
_PREFLIGHT = [
    ("access-control-allow-methods", "POST, OPTIONS"),
    ("access-control-allow-headers", "Content-Type"),
    ("access-control-max-age", "86400"),
    ("vary", "Origin"),
]


def render_error(err: IngestError) -> Response:
    return Response.json(err.status, {"error": err.message}, err.headers)


def _parse(body: bytes) -> ZtaTrack:
    try:
        return ZtaTrack.model_validate_json(body)
    except ValidationError as exc:
        if any(e["loc"] == ("siteId",) and e["type"] == "missing" for e in exc.errors()):
            raise BadRequest("Missing site ID") from exc
        raise BadRequest(describe(exc)) from exc


def _origin_host(origin: str) -> str | None:
    host = hostname(origin.strip())
    return normalise_host(host) if host else None


def _check_origin(origin: str | None, site: Site) -> list[tuple[str, str]]:
    """CORS answer headers when the Origin is the site's; 403 when it is someone else's."""
    if origin is None:
        return []
    host = _origin_host(origin)
    if host is None or host not in {normalise_host(d) for d in site.domains}:
        raise Forbidden("Origin not allowed")
    return [("access-control-allow-origin", origin), ("vary", "Origin")]


async def track(req: Request, svc: Services) -> Response:
    hit = _parse(req.body)
    site = svc.sites.by_zta_site_id(hit.siteId)
    if site is None:
        raise NotFound("Invalid site ID")
    if not site.active:
        raise NotFound("Site is disabled")
    cors = _check_origin(req.header("origin"), site)
    user_agent = req.header("user-agent")
    ip = client_ip(req, svc.trusted_proxies)
    ctx = svc.pipeline.context(site.id, user_agent, ip)
    event = hit.to_canonical(ctx)
    key = svc.pipeline.routing_key(event, ip)
    bot = classify_user_agent(user_agent)
    if bot is not None:
        await svc.pipeline.publish_filtered(event, key, bot)
    else:
        await svc.pipeline.publish_event(event, key)
    return Response.json(200, {"success": True}, cors)


async def preflight(req: Request, svc: Services) -> Response:
    origin = req.header("origin")
    if origin is None:
        return Response.empty(204, _PREFLIGHT)
    host = _origin_host(origin)
    site = svc.sites.by_hostname(host) if host else None
    if site is None or not site.active:
        raise Forbidden("Origin not allowed")
    return Response.empty(204, [("access-control-allow-origin", origin), *_PREFLIGHT])


_ERRORS = {
    400: "Missing site ID, bad type, wrongly typed field or malformed JSON",
    403: "Origin not allowed",
    404: "Unknown site ID",
    413: "Body too large",
    503: "Kafka unavailable (Retry-After)",
}
ROUTES = [
    Route(
        "POST",
        "/api/track",
        track,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
        body_model=ZtaTrack,
        summary="Zero Trust Analytics: track a pageview, event, engagement or heartbeat",
        responses={200: "Accepted (bots too, but they are not stored)", **_ERRORS},
    ),
    Route(
        "OPTIONS",
        "/api/track",
        preflight,
        render_error,
        0,
        vendor=VENDOR,
        summary="Zero Trust Analytics: CORS preflight",
        responses={204: "Preflight answered", 403: "Origin not allowed"},
    ),
]
