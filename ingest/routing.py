"""Routes, the services they share, and dispatch with the error mapping in one place.

A route may check headers before its body is read (`precheck`: HitKeep authenticates first);
the ASGI/RSGI adapters call `Router.precheck` before reading the body and `Router.dispatch`
after. Every answer is counted in `INGEST_REQUESTS`. An exception that is not an `IngestError`
is a bug: it is logged with its traceback and answered as the vendor's 400, because nothing a
client sends may produce a 5xx (503 is reserved for Kafka or the session service being away).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from common.metrics import INGEST_REQUESTS
from ingest.clientip import IPNetwork
from ingest.errors import BadRequest, IngestError, MethodNotAllowed, PayloadTooLarge
from ingest.http_types import Request, Response
from ingest.pipeline import EventPipeline
from ingest.ratelimit import RateLimiter
from ingest.sites import SiteRegistry
from ingest.swetrix_sessions import SessionOracle

log = logging.getLogger("hitstream.ingest")
DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Services:
    """What routes may use: nothing else reaches a handler."""

    pipeline: EventPipeline
    sites: SiteRegistry
    trusted_proxies: tuple[IPNetwork, ...]
    sessions: SessionOracle
    supalytics_limits: RateLimiter
    hitkeep_limits: RateLimiter


Handler = Callable[[Request, Services], Awaitable[Response]]
Precheck = Callable[[Request, Services], None]
ErrorRenderer = Callable[[IngestError], Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    render_error: ErrorRenderer
    max_body: int
    too_large: type[IngestError] = PayloadTooLarge
    vendor: str = "none"
    precheck: Precheck | None = None
    summary: str = ""
    body_model: type[BaseModel] | None = None
    responses: Mapping[int, str] = field(default_factory=dict)


def plain_error(err: IngestError) -> Response:
    return Response.json(err.status, {"error": err.message}, err.headers)


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        for r in routes:
            self._routes.setdefault(r.path, {})[r.method] = r

    @property
    def routes(self) -> list[Route]:
        return [r for methods in self._routes.values() for r in methods.values()]

    def _route(self, method: str, path: str) -> Route | None:
        return self._routes.get(path, {}).get(method)

    def max_body(self, method: str, path: str) -> int:
        """The body cap for a request, known before the body is read."""
        route = self._route(method, path)
        return route.max_body if route else DEFAULT_MAX_BODY

    def too_large(self, method: str, path: str, size: int) -> Response:
        route = self._route(method, path)
        limit = route.max_body if route else DEFAULT_MAX_BODY
        err = (route.too_large if route else PayloadTooLarge)(
            f"Request body is {size} bytes or more; the limit is {limit} bytes"
        )
        return self._count(route, (route.render_error if route else plain_error)(err))

    def precheck(self, req: Request, svc: Services) -> Response | None:
        """Header-only checks that must answer before the body is read (None: go on)."""
        route = self._route(req.method, req.path)
        if route is None or route.precheck is None:
            return None
        try:
            route.precheck(req, svc)
        except IngestError as err:
            return self._count(route, route.render_error(err))
        return None

    async def dispatch(self, req: Request, svc: Services) -> Response:
        methods = self._routes.get(req.path)
        if methods is None:
            INGEST_REQUESTS.labels("none", "unknown", "404").inc()
            return Response.json(404, {"error": f"Cannot {req.method} {req.path}"[:300]})
        route = methods.get(req.method)
        if route is None:
            any_route = next(iter(methods.values()))
            err = MethodNotAllowed(
                f"Method {req.method[:20]} not allowed", headers=[("allow", ", ".join(sorted(methods)))]
            )
            return self._count(any_route, any_route.render_error(err))
        return self._count(route, await self._run(route, req, svc))

    async def _run(self, route: Route, req: Request, svc: Services) -> Response:
        try:
            if route.precheck is not None:
                route.precheck(req, svc)
            return await route.handler(req, svc)
        except IngestError as err:
            return route.render_error(err)
        except Exception:
            log.exception("unexpected error in %s %s (answered 400)", route.method, route.path)
            return route.render_error(BadRequest("The request could not be processed"))

    @staticmethod
    def _count(route: Route | None, resp: Response) -> Response:
        if route is not None:
            key = (route.vendor, route.path, resp.status)
            child = _COUNTERS.get(key)
            if child is None:  # bounded: routes × statuses
                child = _COUNTERS[key] = INGEST_REQUESTS.labels(route.vendor, route.path, str(resp.status))
            child.inc()
        return resp


_COUNTERS: dict[tuple[str, str, int], Any] = {}
