"""Swetrix Events API: `POST /log`, `/log/custom`, `/log/hb`, `/log/error`; 201 `{}`, NestJS errors.

Behaves as Swetrix's server does (`Swetrix/swetrix`, a NestJS app on Express; docs/ingest.md):
- routes also answer under `/v1/log…`, with a trailing slash and in any letter case (Express's
  non-strict routing): the official Node client posts pageviews to `/log/`;
- every answer, errors included, carries `Access-Control-Allow-Origin: *`, and `OPTIONS` on any
  of its paths is 204, so the browser tracker's preflights pass;
- errors are NestJS-shaped, `{"message": …, "error": "Bad Request", "statusCode": 400}`, with the
  failed fields as a list for a body that does not validate; unknown paths under `/log` get its
  404 (`Cannot POST /log/x`);
- bots are answered 201 and never stored (counted as filtered hits).

Order of a request: validate → project → bot check → ask the processors' session table for a
verdict (403 for a `unique` repeat or a heartbeat with no live session) → publish → 201. The
verdict comes first so nothing refused is ever published.

The visitor is the `User-Agent` and `X-Client-IP-Address` the caller forwards; a call from the
browser tracker (it sends `Origin`) is the visitor's own connection. A relaying backend that
forgets the IP header is not taken for the visitor: the hit is anonymous in the analytics, while
the 403 rules key it by whoever connected, as Swetrix itself does.
"""

from __future__ import annotations

from typing import Literal

from ingest.clientip import client_ip, valid_ip
from ingest.errors import BadRequest, Shape
from ingest.http_types import Request, Response
from ingest.pipeline import Hit, Outcome, SwetrixRule
from ingest.routing import Dialect, Handler, Route, Services
from ingest.vendors.common import from_browser, parse
from schemas.vendors.swetrix import SwetrixCustomEvent, SwetrixError, SwetrixHeartbeat, SwetrixPageview

MAX_BODY = 100_000  # "Bodies over 100 kB → 413"
WRONG_PID = "The provided Project ID (pid) is incorrect"
BOT_ANSWER = {"message": "Bot traffic detected, request is ignored"}
CORS = [
    ("access-control-allow-origin", "*"),
    ("access-control-allow-methods", "GET,POST,PUT,DELETE,PATCH"),
    ("access-control-allow-headers", "Authorization, *"),
]
Payload = SwetrixPageview | SwetrixCustomEvent | SwetrixHeartbeat | SwetrixError
Kind = Literal["pageview", "custom", "heartbeat", "error"]


async def preflight(req: Request, svc: Services) -> Response:
    return Response.empty(204)


DIALECT = Dialect(
    "swetrix", Shape.NESTJS, cors=lambda req, svc: CORS, lenient=True, prefixes=("/log", "/v1/log"),
    preflight=preflight,
)  # fmt: skip


async def _record(req: Request, svc: Services, payload: Payload, kind: Kind) -> Response:
    site = svc.sites.by_swetrix_pid(payload.pid)
    if site is None:
        raise BadRequest(WRONG_PID)
    if not site.active:
        raise BadRequest("This project is disabled")
    forwarded = valid_ip(req.header("x-client-ip-address"))
    connected = client_ip(req, svc.trusted_proxies)
    visitor_ip = forwarded or (connected if from_browser(req) else None)
    unique = bool(getattr(payload, "unique", False))
    name = payload.ev if isinstance(payload, SwetrixCustomEvent) else None
    hit = Hit(
        payload,
        site.id,
        visitor_ip=visitor_ip,
        user_agent=req.header("user-agent") or "",
        drop_bots=True,
        swetrix=SwetrixRule(kind, unique, name, forwarded or connected),
    )
    if await svc.pipeline.submit(hit) is Outcome.FILTERED:
        return Response.json(201, BOT_ANSWER)
    return Response.json(201, {})


async def log_pageview(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixPageview, req.body, wording="class-validator"), "pageview")


async def log_custom(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixCustomEvent, req.body, wording="class-validator"), "custom")


async def log_heartbeat(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixHeartbeat, req.body, wording="class-validator"), "heartbeat")


async def log_error(req: Request, svc: Services) -> Response:
    return await _record(req, svc, parse(SwetrixError, req.body, wording="class-validator"), "error")


_ERRORS = {
    400: "Malformed body, unknown or disabled project (pid)",
    413: "Body over 100 kB",
    503: "Kafka or the session service unavailable (Retry-After)",
}
_ROUTES: list[tuple[str, Handler, type[Payload], str, dict[int, str]]] = [
    ("/log", log_pageview, SwetrixPageview, "record a pageview",
     {201: "Recorded (bots answered too, not stored)", 403: "unique: true and not unique"}),
    ("/log/custom", log_custom, SwetrixCustomEvent, "record a custom event",
     {201: "Recorded (bots answered too, not stored)", 403: "unique: true and not unique"}),
    ("/log/hb", log_heartbeat, SwetrixHeartbeat, "heartbeat (keeps the session alive 30 minutes)",
     {201: "Recorded", 403: "No live session"}),
    ("/log/error", log_error, SwetrixError, "record a JavaScript error", {201: "Recorded"}),
]  # fmt: skip
ROUTES = [
    Route(
        "POST",
        prefix + path,
        handler,
        DIALECT,
        MAX_BODY,
        body_model=model,
        summary=f"Swetrix: {summary}",
        responses={**answers, **_ERRORS},
    )
    for prefix in ("", "/v1")  # Swetrix mounts its controller at both
    for path, handler, model, summary, answers in _ROUTES
]
