"""Runs `ingest.httpserve.serve` on uvloop in a thread, on 127.0.0.1, for conformance tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvloop

from ingest.core import IngestCore
from ingest.http import Request, Response
from ingest.httpserve import serve
from ingest.httpserver import App
from ingest.settings import IngestSettings
from tests.unit.ingest.fakes import FakePublisher, FakeSessions, make_services


class SlowCore:
    """Wraps the real core; handling waits `delay_s` (a slow Kafka acknowledgement)."""

    def __init__(self, core: IngestCore, delay_s: float) -> None:
        self.core = core
        self.delay_s = delay_s
        self.handled: list[str] = []

    def body_limit(self, method: str, path: str) -> int:
        return self.core.body_limit(method, path)

    def too_large(self, method: str, path: str, size: int) -> Response:
        return self.core.too_large(method, path, size)

    def precheck(self, req: Request) -> Response | None:
        return self.core.precheck(req)

    async def handle(self, req: Request) -> Response:
        await asyncio.sleep(self.delay_s)
        resp = await self.core.handle(req)
        self.handled.append(req.query)
        return resp


def make_core(tmp: Path) -> tuple[IngestCore, FakePublisher]:
    pub = FakePublisher()
    return IngestCore(IngestSettings(), make_services(tmp, pub, FakeSessions())), pub


class Running:
    def __init__(self, app: App) -> None:
        self.app = app
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.listening = threading.Event()
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            await serve(self.app, "127.0.0.1", 0, stop=self.stop_event, on_listening=self._up, grace_s=5)

        try:
            uvloop.run(main())
        finally:
            self.finished.set()

    def _up(self, port: int) -> None:
        self.port = port
        self.listening.set()

    def stop(self) -> None:
        if self.loop is not None and self.stop_event is not None and not self.finished.is_set():
            self.loop.call_soon_threadsafe(self.stop_event.set)

    def connect(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return s


@contextmanager
def running(app: App) -> Iterator[Running]:
    srv = Running(app)
    srv.thread.start()
    assert srv.listening.wait(10), "server did not start"
    try:
        yield srv
    finally:
        srv.stop()
        srv.thread.join(15)


def read_response(sock: socket.socket, buf: bytearray) -> tuple[int, dict[str, str], bytes]:
    """One response from `sock` (keep-alive framing by content-length); leftovers stay in `buf`."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full head: {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    buf[:] = rest[length:]
    return status, headers, rest[:length]


def closed_by_peer(sock: socket.socket, timeout_s: float = 10) -> bool:
    """True when the server closes the connection within `timeout_s` (data before EOF is skipped)."""
    sock.settimeout(timeout_s)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False
