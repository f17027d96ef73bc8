"""Runs the dashboard on granian (ASGI interface, default) or uvicorn, as ingest runs its app.

Before binding, `check_bind` applies the one rule that must hold before anything listens: an
address other than loopback needs authentication (a password hash, or at least one share link);
without it the service refuses to start (`hitstream dashboard` exits 2 with the reason).
"""

from __future__ import annotations

from starlette.applications import Starlette

from dashboard.settings import DashboardSettings, get_settings
from dashboard.share_links import ShareLinkStore


class RefuseToStart(RuntimeError):
    """The settings would expose the dashboard without authentication."""


def check_bind(settings: DashboardSettings) -> None:
    if settings.loopback:
        return
    if settings.password_hash_value() is not None:
        from dashboard.credentials import check_password_hash

        try:
            check_password_hash(settings.password_hash_value() or "")
        except ValueError as exc:
            raise RefuseToStart(f"DASHBOARD_PASSWORD_HASH is unusable: {exc}") from exc
        return
    if ShareLinkStore(settings.share_links_path).any():
        return
    raise RefuseToStart(
        f"refusing to serve the dashboard on {settings.host} without authentication: set "
        "DASHBOARD_PASSWORD_HASH (`hitstream dashboard password`) or create a share link "
        "(`hitstream dashboard share create <site>`), or bind DASHBOARD_HOST=127.0.0.1"
    )


def run(settings: DashboardSettings | None = None) -> None:
    settings = settings or get_settings()
    check_bind(settings)
    if settings.server == "uvicorn":
        _run_uvicorn(settings)
    else:
        _run_granian(settings)


def app() -> Starlette:
    """granian's factory target, run in the worker process, so logging is set up here."""
    from common import logs
    from dashboard.app import create_app

    settings = get_settings()
    logs.setup(settings.log_level, "dashboard")
    return create_app(settings)


def _run_granian(settings: DashboardSettings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    Granian(
        "dashboard.server:app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        workers=1,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=10_000, keep_alive=True),
        log_enabled=False,
        log_access=False,  # access logs would carry client IPs and share tokens
        log_level=LogLevels(settings.log_level.lower()),
        workers_kill_timeout=15,
    ).serve()


def _run_uvicorn(settings: DashboardSettings) -> None:
    import uvicorn

    from dashboard.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_level=settings.log_level,
        access_log=False,  # access logs would carry client IPs and share tokens
        log_config=None,
        timeout_graceful_shutdown=15,
    )
