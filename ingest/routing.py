"""Routes, the services they share, and dispatch with the error mapping in one place."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ingest.clientip import IPNetwork
from ingest.errors import IngestError, PayloadTooLarge
from ingest.http import Request, Response
from ingest.pipeline import EventPipeline
from ingest.sites import SiteRegistry

log = logging.getLogger("hitstream.ingest")


@dataclass(frozen=True)
class Services:
    """What routes may use: nothing else reaches a handler."""

    pipeline: EventPipeline
    sites: SiteRegistry
    trusted_proxies: tuple[IPNetwork, ...]


Handler = Callable[[Request, Services], Awaitable[Response]]
ErrorRenderer = Callable[[IngestError], Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    render_error: ErrorRenderer
    max_body: int
    too_large: type[IngestError] = PayloadTooLarge


def _plain_error(err: IngestError) -> Response:
    return Response.json(err.status, {"error": err.message}, err.headers)


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[str, dict[str, Route]] = {}
        for r in routes:
            self._routes.setdefault(r.path, {})[r.method] = r

    def max_body(self, method: str, path: str) -> int:
        """The body cap for a request, known before the body is read."""
        route = self._routes.get(path, {}).get(method)
        return route.max_body if route else 64 * 1024

    def too_large(self, method: str, path: str, size: int) -> Response:
        route = self._routes.get(path, {}).get(method)
        limit = route.max_body if route else 64 * 1024
        err = (route.too_large if route else PayloadTooLarge)(
            f"Request body is {size} bytes or more; the limit is {limit} bytes"
        )
        return (route.render_error if route else _plain_error)(err)

    async def dispatch(self, req: Request, svc: Services) -> Response:
        methods = self._routes.get(req.path)
        if methods is None:
            return Response.json(404, {"error": f"Not found: {req.path}"})
        route = methods.get(req.method)
        if route is None:
            allow = ", ".join(sorted(methods))
            return Response.json(405, {"error": f"Method {req.method} not allowed"}, [("allow", allow)])
        try:
            return await route.handler(req, svc)
        except IngestError as err:
            return route.render_error(err)
