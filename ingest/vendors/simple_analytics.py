"""Simple Analytics `POST /post`: 200 with success/duration_ms/message/location.

Server-side by design: a site's backend posts the visitor's page, user agent (`ua`) and time
zone, never the visitor's IP, so the socket peer is the backend and is nobody's identity. The
visitor is anonymous; SA's own `unique` flag is what its counts rest on (docs/processors.md).
The visitor's user agent is the body's `ua` when sent (the backend forwarded it on purpose),
else the `User-Agent` header (a direct call from the visitor's browser); SA's doc prefers the
header, which for a relaying backend is its HTTP library (docs/ingest.md, deviations).
"""

from __future__ import annotations

import time

from ingest.errors import BadRequest, NotFound, Shape
from ingest.http_types import Request, Response
from ingest.pipeline import Hit
from ingest.routing import Dialect, Route, Services
from ingest.vendors.common import parse
from schemas.vendors.simple_analytics import SimpleAnalyticsHit

MAX_BODY = 100_000
DIALECT = Dialect("simple_analytics", Shape.SIMPLE_ANALYTICS)


async def post(req: Request, svc: Services) -> Response:
    started = time.perf_counter()
    hit = parse(SimpleAnalyticsHit, req.body)
    user_agent = hit.ua or req.header("user-agent")
    if not user_agent:
        raise BadRequest("No User-Agent: send the visitor's user agent in the ua field")
    site = svc.sites.by_hostname(hit.host)
    if site is None:
        raise NotFound(f"No site is registered for the hostname {hit.host[:253]}")
    if not site.active:
        raise NotFound(f"The site for {hit.host[:253]} is disabled")
    await svc.pipeline.submit(Hit(hit, site.id, visitor_ip=None, user_agent=user_agent))
    duration_ms = round((time.perf_counter() - started) * 1000)
    return Response.json(
        200, {"success": True, "duration_ms": duration_ms, "message": "Thank you", "location": "Unknown"}
    )


ROUTES = [
    Route(
        "POST",
        "/post",
        post,
        DIALECT,
        MAX_BODY,
        body_model=SimpleAnalyticsHit,
        summary="Simple Analytics: record a pageview (server-side)",
        responses={
            200: "Accepted",
            400: "Invalid body or no user agent",
            404: "Hostname is not a site",
            413: "Body too large",
            503: "Kafka unavailable (Retry-After)",
        },
    ),
]
