"""Zero Trust Analytics `POST /api/track` (+ CORS preflight): one event, or the tracker's batch.

ZTA authorises by site id; a browser `Origin`, when present, must be one of the site's registered
domains. ZTA's own tracker script only ever sends batches (`{"batch": true, "siteId": "…",
"events": […]}`, its server's `batch && Array.isArray(events)` branch): each event is validated
and stored on its own under the batch's `siteId`; invalid ones are left out and listed in the
answer, `{"success": true, "count": <accepted>, "rejected": [{"index": i, "error": "…"}]}`, and a
batch holds at most `MAX_EVENTS` events. A single event is answered `{"success": true}` as before.

A call with an `Origin` comes from the visitor's browser (the tracker), so its socket peer and
User-Agent are the visitor's; one without is a site's backend relaying the hit, whose address and
library user agent identify nobody: the visitor is then the `sessionId`, if sent, else anonymous.
ZTA promises to drop bots: a bot by the visitor's user agent gets the normal success answer and
is published only as a filtered hit (counted, never stored as an event). Every answer to an
origin that belongs to an active site carries `Access-Control-Allow-Origin`, errors included, so
the page can read why it was refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from pydantic import ValidationError

from ingest.clientip import client_ip
from ingest.errors import BadRequest, Forbidden, IngestError, NotFound, Shape
from ingest.http_types import Request, Response
from ingest.pipeline import Hit
from ingest.routing import Dialect, Route, Services
from ingest.sites import Site, normalise_host
from ingest.vendors.common import describe, from_browser, invalid
from schemas.vendors.urls import hostname
from schemas.vendors.zero_trust import ZtaTrack

MAX_BODY = 256 * 1024
MAX_EVENTS = 100
_PREFLIGHT = [
    ("access-control-allow-methods", "POST, OPTIONS"),
    ("access-control-allow-headers", "Content-Type"),
    ("access-control-max-age", "86400"),
    ("vary", "Origin"),
]


def _origin_host(origin: str) -> str | None:
    host = hostname(origin.strip())
    return normalise_host(host) if host else None


def _origin_site(req: Request, svc: Services) -> Site | None:
    origin = req.header("origin")
    host = _origin_host(origin) if origin else None
    site = svc.sites.by_hostname(host) if host else None
    return site if site is not None and site.active else None


def cors(req: Request, svc: Services) -> list[tuple[str, str]]:
    """Allow-Origin for an origin that belongs to an active site, on every answer."""
    origin = req.header("origin")
    if origin is None or _origin_site(req, svc) is None:
        return []
    return [("access-control-allow-origin", origin), ("vary", "Origin")]


DIALECT = Dialect("zero_trust", Shape.PLAIN, cors=cors)


def _site(site_id: str | None, svc: Services) -> Site:
    if not site_id:
        raise BadRequest("Missing site ID")
    site = svc.sites.by_zta_site_id(site_id)
    if site is None:
        raise NotFound("Invalid site ID")
    if not site.active:
        raise NotFound("Site is disabled")
    return site


def _check_origin(req: Request, site: Site) -> None:
    origin = req.header("origin")
    if origin is None:
        return
    host = _origin_host(origin)
    if host is None or host not in {normalise_host(d) for d in site.domains}:
        raise Forbidden("Origin not allowed")


def _hit(event: ZtaTrack, site: Site, req: Request, svc: Services) -> Hit:
    if from_browser(req):
        ip, user_agent = client_ip(req, svc.trusted_proxies), req.header("user-agent") or ""
    else:
        ip, user_agent = None, None
    return Hit(event, site.id, visitor_ip=ip, user_agent=user_agent, drop_bots=True)


def _decode(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Request body is not valid JSON") from exc


def _single(data: Any) -> ZtaTrack:
    try:
        return ZtaTrack.model_validate(data)
    except ValidationError as exc:
        if any(e["loc"] == ("siteId",) and e["type"] == "missing" for e in exc.errors()):
            raise BadRequest("Missing site ID") from exc
        raise invalid(exc) from exc


async def track(req: Request, svc: Services) -> Response:
    data = _decode(req.body)
    if isinstance(data, dict) and data.get("batch") and isinstance(data.get("events"), list):
        return await _batch(req, svc, data)
    event = _single(data)
    site = _site(event.siteId, svc)
    _check_origin(req, site)
    await svc.pipeline.submit(_hit(event, site, req, svc))
    return Response.json(200, {"success": True})


async def _batch(req: Request, svc: Services, data: dict[str, Any]) -> Response:
    site_id = data.get("siteId")
    site = _site(site_id if isinstance(site_id, str) else None, svc)
    _check_origin(req, site)
    raw: list[Any] = data["events"]
    if len(raw) > MAX_EVENTS:
        raise BadRequest(f"A batch holds at most {MAX_EVENTS} events; this one has {len(raw)}")
    valid: list[tuple[int, ZtaTrack]] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            rejected.append({"index": index, "error": "An event must be a JSON object"})
            continue
        try:  # the batch's siteId is every event's, as ZTA's server has it
            valid.append((index, ZtaTrack.model_validate({**item, "siteId": site.zta_site_id})))
        except ValidationError as exc:
            rejected.append({"index": index, "error": "; ".join(describe(exc))})
    # Produced in list order (each task produces before its first await), acknowledged together.
    outcomes = await asyncio.gather(
        *(svc.pipeline.submit(_hit(event, site, req, svc)) for _, event in valid), return_exceptions=True
    )
    failed = [
        (index, out)
        for (index, _), out in zip(valid, outcomes, strict=True)
        if isinstance(out, BaseException)
    ]
    for _, out in failed:
        if not isinstance(out, IngestError):
            raise out
    if failed and len(failed) == len(valid):
        raise failed[0][1]  # nothing was published: the whole batch may be sent again (503)
    # Some events are published: a 503 would make the tracker send them twice, under new ids.
    # The ones Kafka did not take are listed like invalid ones, and not counted.
    rejected += [{"index": index, "error": str(out)} for index, out in failed]
    answer: dict[str, Any] = {"success": True, "count": len(valid) - len(failed)}
    if rejected:
        answer["rejected"] = sorted(rejected, key=lambda r: int(r["index"]))
    return Response.json(200, answer)


async def preflight(req: Request, svc: Services) -> Response:
    if req.header("origin") is None:
        return Response.empty(204, _PREFLIGHT)
    if _origin_site(req, svc) is None:
        raise Forbidden("Origin not allowed")
    return Response.empty(204, _PREFLIGHT)


_ERRORS = {
    400: "Missing site ID, bad type, wrongly typed field, malformed JSON, or a batch over 100 events",
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
        DIALECT,
        MAX_BODY,
        body_model=ZtaTrack,
        summary="Zero Trust Analytics: track a pageview, event, engagement or heartbeat, or a batch",
        responses={200: "Accepted (bots too, but they are not stored)", **_ERRORS},
    ),
    Route(
        "OPTIONS",
        "/api/track",
        preflight,
        DIALECT,
        0,
        summary="Zero Trust Analytics: CORS preflight",
        responses={204: "Preflight answered", 403: "Origin not allowed"},
    ),
]
