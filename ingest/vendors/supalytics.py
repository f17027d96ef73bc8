"""Supalytics `POST /v1/events`: Bearer `sly_…` keys, 100 requests/s per key, 200 `{"success": true}`.

The rate-limit headers go on every answer to a request with a valid key (429 included); a request
without a valid key has no budget to report. Errors are `{"error": "…"}`: Supalytics' error page
is not in the seed docs, so this is the common shape its success body suggests (docs/ingest.md).
"""

from __future__ import annotations

from ingest.clientip import client_ip
from ingest.errors import Forbidden, IngestError, RateLimited, Unauthorized
from ingest.http_types import Request, Response
from ingest.routing import Route, Services
from ingest.vendors.common import bearer, parse
from schemas.vendors.supalytics import SupalyticsEvent

MAX_BODY = 64 * 1024
VENDOR = "supalytics"
KEY_PREFIX = "sly_"


def render_error(err: IngestError) -> Response:
    return Response.json(err.status, {"error": err.message}, err.headers)


async def events(req: Request, svc: Services) -> Response:
    token = bearer(req)
    if token is None:
        raise Unauthorized("Missing API key: send Authorization: Bearer sly_…")
    found = svc.sites.by_token(token) if token.startswith(KEY_PREFIX) else None
    if found is None or found[1].kind != "supalytics":
        raise Unauthorized("Invalid API key")
    site, key = found
    quota = svc.supalytics_limits.hit(key.sha256)
    limits = quota.headers()
    if not quota.allowed:
        raise RateLimited(
            "Rate limit exceeded: 100 requests per second per API key",
            headers=[*limits, ("retry-after", "1")],
        )
    try:
        if not site.active:
            raise Forbidden("The site of this API key is disabled")
        event = parse(SupalyticsEvent, req.body)
        ip = client_ip(req, svc.trusted_proxies)
        await svc.pipeline.publish(event, svc.pipeline.context(site.id, req.header("user-agent"), ip), ip)
    except IngestError as err:
        err.headers = [*err.headers, *limits]
        raise
    return Response.json(200, {"success": True}, limits)


ROUTES = [
    Route(
        "POST",
        "/v1/events",
        events,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
        body_model=SupalyticsEvent,
        summary="Supalytics: track a server-side event (Authorization: Bearer sly_…)",
        responses={
            200: "Accepted",
            400: "Invalid body",
            401: "Missing or wrong API key",
            403: "Site disabled",
            413: "Body too large",
            429: "Over 100 requests/s for this key",
            503: "Kafka unavailable (Retry-After)",
        },
    ),
]
