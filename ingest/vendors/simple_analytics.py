"""Simple Analytics `POST /post`: 200 with success/duration_ms/message/location."""

from __future__ import annotations

import time

from ingest.clientip import client_ip
from ingest.errors import BadRequest, IngestError, NotFound
from ingest.http_types import Request, Response
from ingest.routing import Route, Services
from ingest.vendors.common import parse
from schemas.vendors.simple_analytics import SimpleAnalyticsHit

MAX_BODY = 100_000
VENDOR = "simple_analytics"


def render_error(err: IngestError) -> Response:
    return Response.json(err.status, {"success": False, "error": err.message}, err.headers)


async def post(req: Request, svc: Services) -> Response:
    started = time.perf_counter()
    hit = parse(SimpleAnalyticsHit, req.body)
    user_agent = req.header("user-agent") or hit.ua  # "If we find a User Agent in the headers, we use that."
    if not user_agent:
        raise BadRequest("No User-Agent: send a User-Agent header or the ua field")
    site = svc.sites.by_hostname(hit.host)
    if site is None:
        raise NotFound(f"No site is registered for the hostname {hit.host[:253]}")
    if not site.active:
        raise NotFound(f"The site for {hit.host[:253]} is disabled")
    ip = client_ip(req, svc.trusted_proxies)
    await svc.pipeline.publish(hit, svc.pipeline.context(site.id, user_agent, ip), ip)
    duration_ms = round((time.perf_counter() - started) * 1000)
    return Response.json(
        200, {"success": True, "duration_ms": duration_ms, "message": "Thank you", "location": "Unknown"}
    )


ROUTES = [
    Route(
        "POST",
        "/post",
        post,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
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
