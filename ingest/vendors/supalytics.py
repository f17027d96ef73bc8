"""Supalytics `POST /v1/events`: Bearer `sly_…` keys, 100 requests/s per key, 200 `{"success": true}`.

Authenticated backend events by design (cron jobs, webhooks, signups): the caller is the site's
server, so its address and its HTTP library's user agent (curl, python-requests, Go-http-client,
axios, okhttp, or none) are not a visitor's and never make the event a bot. The visitor is the
`visitor_id` when one is sent, else nobody: the event counts as an event, not as a visitor.

The rate-limit headers go on every answer to a request with a valid key (429 included); a
request without a valid key has no budget to report. Errors are `{"error": "…"}`: Supalytics'
error page is not in the seed docs, so this is the common shape its success body suggests.
"""

from __future__ import annotations

from ingest.errors import Forbidden, IngestError, RateLimited, Shape, Unauthorized
from ingest.http_types import Request, Response
from ingest.pipeline import Hit
from ingest.routing import Dialect, Route, Services
from ingest.vendors.common import bearer, parse
from schemas.vendors.supalytics import SupalyticsEvent

MAX_BODY = 64 * 1024
DIALECT = Dialect("supalytics", Shape.PLAIN)
KEY_PREFIX = "sly_"


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
    try:
        if not quota.allowed:
            raise RateLimited(
                "Rate limit exceeded: 100 requests per second per API key", headers=[("retry-after", "1")]
            )
        if not site.active:
            raise Forbidden("The site of this API key is disabled")
        event = parse(SupalyticsEvent, req.body)
        await svc.pipeline.submit(Hit(event, site.id, visitor_ip=None, user_agent=None))
    except IngestError as err:
        err.headers = [*err.headers, *limits]
        raise
    return Response.json(200, {"success": True}, limits)


ROUTES = [
    Route(
        "POST",
        "/v1/events",
        events,
        DIALECT,
        MAX_BODY,
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
