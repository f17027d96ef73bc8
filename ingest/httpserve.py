"""Runs `ingest.httpserver` on uvloop: listening, the deadline sweep and graceful shutdown.

On SIGTERM/SIGINT the listener closes at once (no new connections), idle keep-alive connections
close, busy ones answer what they already read (with `Connection: close`) and then close; after
at most `grace_s` the rest are cut. Only then does the caller's shutdown run (`IngestCore.stop`
flushes the Kafka producer), so an answered 2xx was always acknowledged by Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable

from ingest.httpserver import App, HttpProtocol

SWEEP_S = 1.0


async def _sweep(conns: set[HttpProtocol]) -> None:
    while True:
        await asyncio.sleep(SWEEP_S)
        now = time.monotonic()
        for conn in list(conns):
            conn.expire(now)


async def serve(
    app: App,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    on_listening: Callable[[int], None] | None = None,
    grace_s: float = 15.0,
) -> None:
    """Serve until `stop` is set (or SIGTERM/SIGINT, when running in the main thread)."""
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    conns: set[HttpProtocol] = set()
    server = await loop.create_server(
        lambda: HttpProtocol(app, conns), host, port, backlog=2048, reuse_address=True
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    sweeper = loop.create_task(_sweep(conns))
    if on_listening is not None:
        on_listening(int(server.sockets[0].getsockname()[1]))
    try:
        await stop.wait()
    finally:
        server.close()
        sweeper.cancel()
        await _drain(conns, grace_s)


async def _drain(conns: set[HttpProtocol], grace_s: float) -> None:
    for conn in list(conns):
        conn.shutdown()
    deadline = time.monotonic() + grace_s
    while conns and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    for conn in list(conns):
        if conn.transport is not None:
            conn.transport.abort()


def run(settings: object | None = None) -> None:
    """`INGEST_SERVER=httptools`: the ingest core on this server, one process, uvloop."""
    import uvloop

    from ingest.core import IngestCore
    from ingest.settings import IngestSettings, get_settings

    resolved = settings if isinstance(settings, IngestSettings) else get_settings()

    async def main() -> None:
        core = IngestCore(resolved)
        core.start()
        try:
            await serve(core, resolved.host, resolved.port)
        finally:
            await core.stop()

    uvloop.run(main())
