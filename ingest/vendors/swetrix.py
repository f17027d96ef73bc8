"""Swetrix Events API: `POST /log`, `/log/custom`, `/log/hb`; 201 `{}` and NestJS-shaped errors.

Order of a request: validate → project → bot check (201, counted, not stored) → ask the
processors' session table for a verdict (403 for a `unique` repeat or a heartbeat with no live
session) → publish → 201. The verdict comes first so nothing refused is ever published.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Literal

from common.bots import classify_user_agent
from ingest.clientip import client_ip, valid_ip
from ingest.errors import BadRequest, Forbidden, IngestError
from ingest.http_types import Request, Response
from ingest.routing import Route, Services
from ingest.vendors.common import parse
from schemas.swetrix_sessions import SessionTouch
from schemas.vendors.swetrix import SwetrixCustomEvent, SwetrixHeartbeat, SwetrixPageview

MAX_BODY = 100_000  # "Bodies over 100 kB → 413"
WRONG_PID = "The provided Project ID (pid) is incorrect"
VENDOR = "swetrix"
Kind = Literal["pageview", "custom", "heartbeat"]
Payload = SwetrixPageview | SwetrixCustomEvent | SwetrixHeartbeat
_REFUSED = {
    "pageview": "The pageview is not unique for this session",
    "custom": "The custom event is not unique for this session",
    "heartbeat": "There is no live session for this heartbeat",
}


_NEST_PHRASES = {413: "Payload Too Large"}  # NestJS's names where Python's differ


def render_error(err: IngestError) -> Response:
    phrase = _NEST_PHRASES.get(err.status) or HTTPStatus(err.status).phrase
    return Response.json(
        err.status, {"statusCode": err.status, "message": err.message, "error": phrase}, err.headers
    )


async def _record(req: Request, svc: Services, payload: Payload, kind: Kind) -> Response:
    site = svc.sites.by_swetrix_pid(payload.pid)
    if site is None:
        raise BadRequest(WRONG_PID)
    if not site.active:
        raise BadRequest("This project is disabled")
    user_agent = req.header("user-agent")
    ip = valid_ip(req.header("x-client-ip-address")) or client_ip(req, svc.trusted_proxies)
    ctx = svc.pipeline.context(site.id, user_agent, ip)
    event = payload.to_canonical(ctx)
    key = svc.pipeline.routing_key(event, ip)
    bot = classify_user_agent(user_agent)
    if bot is not None:
        await svc.pipeline.publish_filtered(event, key, bot)
        return Response.json(201, {})
    unique = bool(getattr(payload, "unique", False))
    touch = SessionTouch(
        key=key.decode(), kind=kind, unique=unique, event_name=event.event_name, at=ctx.received_at
    )
    verdict = await svc.sessions.touch(touch)
    if not verdict.accept:
        raise Forbidden(verdict.reason or _REFUSED[kind])
    await svc.pipeline.publish_event(event, key)
    return Response.json(201, {})


async def log_pageview(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixPageview, req.body), "pageview")


async def log_custom(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixCustomEvent, req.body), "custom")


async def log_heartbeat(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixHeartbeat, req.body), "heartbeat")


_ERRORS = {
    400: "Malformed body, unknown or disabled project (pid)",
    413: "Body over 100 kB",
    503: "Kafka or the session service unavailable (Retry-After)",
}
ROUTES = [
    Route(
        "POST",
        "/log",
        log_pageview,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
        body_model=SwetrixPageview,
        summary="Swetrix: record a pageview",
        responses={201: "Recorded (bots too, but not stored)", 403: "unique: true and not unique", **_ERRORS},
    ),
    Route(
        "POST",
        "/log/custom",
        log_custom,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
        body_model=SwetrixCustomEvent,
        summary="Swetrix: record a custom event",
        responses={201: "Recorded (bots too, but not stored)", 403: "unique: true and not unique", **_ERRORS},
    ),
    Route(
        "POST",
        "/log/hb",
        log_heartbeat,
        render_error,
        MAX_BODY,
        vendor=VENDOR,
        body_model=SwetrixHeartbeat,
        summary="Swetrix: heartbeat (keeps the session alive 30 minutes)",
        responses={201: "Recorded", 403: "No live session", **_ERRORS},
    ),
]
