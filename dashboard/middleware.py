"""What wraps every answer: security headers, the request metrics, and the last-resort 500.

One pure ASGI middleware (outside routing, inside Starlette's own error middleware), so a route
that raises something unexpected is logged with its traceback and answered with a plain 500
page or JSON, never a stack trace; tests fuzz the API so that this path stays unused.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.metrics import DASHBOARD_API_SECONDS, DASHBOARD_REQUESTS
from dashboard import pages

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # share tokens live in URLs: never hand them on
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def server_error(path: str) -> Response:
    if is_api(path):
        return JSONResponse({"error": "internal error; it is logged"}, status_code=500)
    return pages.message(500, "Something went wrong", "The error is logged; please try again.")


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent_start = False

        async def guarded_send(message: Message) -> None:
            nonlocal status, sent_start
            if message["type"] == "http.response.start":
                sent_start = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            log.exception("unhandled error answering %s %s", scope.get("method"), scope.get("path"))
            if sent_start:
                raise
            await server_error(scope["path"])(scope, receive, guarded_send)
        finally:
            _observe(scope, status, time.perf_counter() - started)


def _observe(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    template = getattr(route, "path", None) or "unmatched"
    DASHBOARD_REQUESTS.labels(template, str(status)).inc()
    if is_api(scope["path"]):
        DASHBOARD_API_SECONDS.labels(template).observe(seconds)
