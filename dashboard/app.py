"""The dashboard's Starlette app: pages, static files, the JSON API, health, metrics, security.

`create_app` wires the parts and puts what routes need on `app.state`: `reader` (a
`dashboard.queries.Reader`, connected lazily), `catalog` (`SiteCatalog`), `clock` (UTC-aware
now) and `auth`. Errors map to statuses here, in one place: a `BadParameter` 400, an unknown
path or site 404, ClickHouse not answering 503, anything else a logged 500 (see `middleware`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from common.metrics import DASHBOARD_QUERY_ERRORS
from dashboard import pages, static
from dashboard.api import api_routes
from dashboard.auth import Auth, AuthMiddleware
from dashboard.catalog import SiteCatalog
from dashboard.credentials import CookieSigner
from dashboard.errors import BadParameter, QueryFailed
from dashboard.lazy_reader import LazyReader
from dashboard.login import login_routes
from dashboard.middleware import Guard, is_api
from dashboard.settings import DashboardSettings
from dashboard.share_links import ShareLinkStore


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_auth(settings: DashboardSettings, clock: Callable[[], datetime]) -> Auth:
    password_hash = settings.password_hash_value()
    return Auth(
        password_hash=password_hash,
        signer=CookieSigner(settings.session_key),
        links=ShareLinkStore(settings.share_links_path),
        required=password_hash is not None or not settings.loopback,
        session_s=int(settings.session_hours * 3600),
        secure_cookies=settings.secure_cookies,
        trusted_proxies=tuple(ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies),
        clock=clock,
    )


def create_app(
    settings: DashboardSettings,
    *,
    reader: Any = None,
    catalog: SiteCatalog | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    clock = clock or _utc_now
    auth = build_auth(settings, clock)
    app = Starlette(
        routes=_routes(settings),
        middleware=[Middleware(Guard), Middleware(AuthMiddleware, auth=auth)],
        exception_handlers={BadParameter: _bad_parameter, QueryFailed: _query_failed, HTTPException: _http},
    )
    app.state.reader = reader or LazyReader(settings.reader_dsn, settings.shared.clickhouse_database)
    app.state.catalog = catalog or SiteCatalog(settings.sites_path)
    app.state.clock = clock
    app.state.auth = auth
    return app


def _routes(settings: DashboardSettings) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *login_routes(),
        *static.routes(settings.uplot_path),
        *api_routes(),
        Route("/", static.index_page),
        Route("/sites/{site}", static.site_page),
    ]


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


async def readyz(request: Request) -> Response:
    ok = await run_in_threadpool(request.app.state.reader.ping)
    return PlainTextResponse(
        "ready\n" if ok else "not ready: ClickHouse does not answer\n", 200 if ok else 503
    )


async def metrics(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def _bad_parameter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadParameter)
    if is_api(request.url.path):
        return JSONResponse({"error": exc.message, "parameter": exc.parameter}, status_code=400)
    return pages.message(400, "Bad request", f"{exc.parameter}: {exc.message}")


async def _query_failed(request: Request, exc: Exception) -> Response:
    DASHBOARD_QUERY_ERRORS.inc()
    headers = {"Retry-After": "5"}
    if is_api(request.url.path):
        return JSONResponse({"error": "ClickHouse did not answer; try again"}, 503, headers=headers)
    return pages.message(503, "Not available", "ClickHouse did not answer; try again shortly.")


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    text = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    if is_api(request.url.path):
        return JSONResponse({"error": text.lower()}, status_code=exc.status_code, headers=exc.headers)
    return pages.message(exc.status_code, text, "There is nothing at this address.")
