"""Runs the ingest service: granian (RSGI, default) or uvicorn (ASGI), chosen by INGEST_SERVER.

Both keep HTTP parsing in well-tested code (granian: Rust hyper; uvicorn: httptools on uvloop)
with keep-alive, header limits and timeouts for slow clients; the application is the same
`IngestApp` behind a thin adapter. Why granian is the default: docs/ingest.md (measured).
"""

from __future__ import annotations

from common.kafka import ensure_topics
from ingest.settings import IngestSettings, get_settings


def run(settings: IngestSettings | None = None) -> None:
    settings = settings or get_settings()
    ensure_topics(settings.shared)
    if settings.server == "uvicorn":
        _run_uvicorn(settings)
    else:
        _run_granian(settings)


def _run_granian(settings: IngestSettings) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    Granian(
        "ingest.server.rsgi_granian:app",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.RSGI,
        loop=Loops.uvloop,
        workers=1,  # scale with processes behind a load balancer, one per core
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=10_000, keep_alive=True),
        log_enabled=False,  # the worker logs through hitstream's JSON handler (rsgi_granian.app)
        log_access=False,  # access logs would carry client IPs
        log_level=LogLevels(settings.log_level.lower()),
        workers_kill_timeout=15,
    ).serve()


def _run_uvicorn(settings: IngestSettings) -> None:
    import uvicorn

    from ingest.server.asgi_uvicorn import IngestASGI

    uvicorn.run(
        IngestASGI(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level=settings.log_level,
        access_log=False,  # access logs would carry client IPs
        log_config=None,  # keep hitstream's JSON logging (set up by the CLI) instead of uvicorn's
        timeout_graceful_shutdown=15,
    )
