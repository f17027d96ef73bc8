"""Routes, the services they share, and dispatch: every answer, error or not, leaves through here.

A route may check headers before its body is read (`precheck`: HitKeep authenticates first); the
server adapters call `Router.precheck` before reading the body and `Router.dispatch` after. Both
run the route through `_answer`, the one place where errors become the vendor's error shape
(`ingest.errors.render`) and where the vendor's CORS headers go onto every answer, errors
included. An exception that is not an `IngestError` is a bug: it is logged with its traceback
and answered as the vendor's 400, because nothing a client sends may produce a 5xx (503 is kept
for Kafka or the session service being away).

Paths match exactly, except for a vendor whose server routes leniently (Swetrix's Express
router: a trailing slash and letter case are ignored, and `OPTIONS` is answered for any path it
owns); such a vendor claims path prefixes, and an unknown path under them is answered in its
shape (`{"message": "Cannot POST /log/x", "error": "Not Found", "statusCode": 404}`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from common.metrics import INGEST_REQUESTS
from ingest.clientip import IPNetwork
from ingest.errors import BadRequest, IngestError, MethodNotAllowed, NotFound, PayloadTooLarge, Shape, render
from ingest.http_types import Request, Response
from ingest.pipeline import EventPipeline
from ingest.ratelimit import RateLimiter
from ingest.sites import SiteRegistry

log = logging.getLogger("hitstream.ingest")
DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Services:
    """What routes may use: nothing else reaches a handler."""

    pipeline: EventPipeline
    sites: SiteRegistry
    trusted_proxies: tuple[IPNetwork, ...]
    supalytics_limits: RateLimiter
    hitkeep_limits: RateLimiter


Handler = Callable[[Request, Services], Awaitable[Response]]
Precheck = Callable[[Request, Services], None]
Cors = Callable[[Request, Services], list[tuple[str, str]]]


@dataclass(frozen=True)
class Dialect:
    """How one dialect's server answers beyond its routes: error shape, CORS, routing leniency."""

    name: str
    shape: Shape
    cors: Cors | None = None  # headers for every answer (errors included), given the request
    lenient: bool = False  # trailing slash and letter case ignored, as the dialect's router does
    prefixes: tuple[str, ...] = ()  # paths it owns: its 404 shape, its OPTIONS answer
    preflight: Handler | None = None  # OPTIONS on any path it owns


SERVICE = Dialect("none", Shape.PLAIN)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    dialect: Dialect
    max_body: int
    too_large: type[IngestError] = PayloadTooLarge
    precheck: Precheck | None = None
    summary: str = ""
    body_model: type[BaseModel] | None = None
    responses: Mapping[int, str] = field(default_factory=dict)


def _normal(path: str) -> str:
    return path.rstrip("/").lower() or "/"


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        self._lenient: dict[str, dict[str, Route]] = {}
        self._prefixes: list[tuple[str, Dialect]] = []
        for r in routes:
            self._routes.setdefault(r.path, {})[r.method] = r
            if r.dialect.lenient:
                self._lenient.setdefault(_normal(r.path), {})[r.method] = r
            for prefix in r.dialect.prefixes:
                if (prefix, r.dialect) not in self._prefixes:
                    self._prefixes.append((prefix, r.dialect))
        self._prefixes.sort(key=lambda pv: -len(pv[0]))

    @property
    def routes(self) -> list[Route]:
        return [r for methods in self._routes.values() for r in methods.values()]

    def _methods(self, path: str) -> dict[str, Route] | None:
        return self._routes.get(path) or self._lenient.get(_normal(path))

    def _route(self, method: str, path: str) -> Route | None:
        methods = self._methods(path)
        return methods.get(method) if methods else None

    def _owner(self, path: str) -> Dialect:
        lowered = path.lower()
        for prefix, dialect in self._prefixes:
            if lowered == prefix or lowered.startswith(prefix + "/"):
                return dialect
        return SERVICE

    def max_body(self, method: str, path: str) -> int:
        """The body cap for a request, known before the body is read."""
        route = self._route(method, path)
        return route.max_body if route else DEFAULT_MAX_BODY

    def too_large(self, req: Request, svc: Services | None, size: int) -> Response:
        route = self._route(req.method, req.path)
        limit = route.max_body if route else DEFAULT_MAX_BODY
        err = (route.too_large if route else PayloadTooLarge)(
            f"Request body is {size} bytes or more; the limit is {limit} bytes"
        )
        return self._finish(route, route.dialect if route else self._owner(req.path), req, svc, err)

    def precheck(self, req: Request, svc: Services) -> Response | None:
        """Header-only checks that must answer before the body is read (None: go on)."""
        route = self._route(req.method, req.path)
        if route is None or route.precheck is None:
            return None
        check = route.precheck
        try:
            check(req, svc)
        except IngestError as err:
            return self._finish(route, route.dialect, req, svc, err)
        except Exception:
            log.exception(
                "unexpected error in the checks of %s %s (answered 400)", req.method, req.path[:100]
            )
            return self._finish(
                route, route.dialect, req, svc, BadRequest("The request could not be processed")
            )
        return None

    async def dispatch(self, req: Request, svc: Services) -> Response:
        methods = self._methods(req.path)
        route = methods.get(req.method) if methods else None
        if route is not None:
            return await self._answer(route, route.dialect, req, svc, route.handler)
        owner = next(iter(methods.values())).dialect if methods else self._owner(req.path)
        if req.method == "OPTIONS" and owner.preflight is not None:
            return await self._answer(None, owner, req, svc, owner.preflight)
        if methods is None:
            err: IngestError = NotFound(f"Cannot {req.method[:20]} {req.path[:300]}")
        else:
            allow = ", ".join(sorted(methods))
            err = MethodNotAllowed(f"Method {req.method[:20]} not allowed", headers=[("allow", allow)])
        return self._finish(next(iter(methods.values())) if methods else None, owner, req, svc, err)

    async def _answer(
        self, route: Route | None, dialect: Dialect, req: Request, svc: Services, handler: Handler
    ) -> Response:
        try:
            if route is not None and route.precheck is not None:
                route.precheck(req, svc)
            resp = await handler(req, svc)
        except IngestError as err:
            return self._finish(route, dialect, req, svc, err)
        except Exception:
            log.exception("unexpected error in %s %s (answered 400)", req.method, req.path[:100])
            return self._finish(route, dialect, req, svc, BadRequest("The request could not be processed"))
        return self._count(route, dialect, self._cors(dialect, req, svc, resp))

    def _finish(
        self, route: Route | None, dialect: Dialect, req: Request, svc: Services | None, err: IngestError
    ) -> Response:
        return self._count(route, dialect, self._cors(dialect, req, svc, render(err, dialect.shape)))

    @staticmethod
    def _cors(dialect: Dialect, req: Request, svc: Services | None, resp: Response) -> Response:
        """The dialect's CORS headers; an answer goes out without them rather than not at all."""
        if dialect.cors is not None and svc is not None:
            try:
                extra = dialect.cors(req, svc)
            except Exception:
                log.exception(
                    "CORS headers of %s %s failed (answered without them)", req.method, req.path[:100]
                )
                return resp
            present = {name for name, _ in resp.headers}
            resp.headers += [(k, v) for k, v in extra if k not in present]
        return resp

    @staticmethod
    def _count(route: Route | None, dialect: Dialect, resp: Response) -> Response:
        key = (dialect.name, route.path if route else "unknown", resp.status)
        child = _COUNTERS.get(key)
        if child is None:  # bounded: routes × statuses
            child = _COUNTERS[key] = INGEST_REQUESTS.labels(key[0], key[1], str(resp.status))
        child.inc()
        return resp


_COUNTERS: dict[tuple[str, str, int], Any] = {}
