"""An HTTP/1.1 server as an `asyncio.Protocol` on uvloop, parsing with httptools (llhttp).

Why: the ASGI/RSGI layers cost more per request than the ingest work itself (docs/ingest.md).
Parsing stays in llhttp (Node.js's parser: framing, chunked bodies, malformed input); this module
only does connection policy, which is tested in tests/unit/ingest/test_httpserver*.py:
keep-alive and `Connection: close`, HTTP/1.0, pipelined requests answered in order, per-route
body caps enforced while reading, `Expect: 100-continue`, 400 + close for malformed input, a
header size limit, idle and slow-client deadlines (swept once a second by `ingest.httpserve`),
and backpressure (reading pauses while the transport's write buffer is full).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Protocol, cast
from urllib.parse import unquote

import httptools

from ingest.http import Request, Response
from ingest.httpwire import encode
from ingest.httpwire import error_response as _error

MAX_HEAD_BYTES = 16 * 1024  # request line + headers
MAX_HEADERS = 100
MAX_PIPELINED = 16  # queued requests per connection before reading pauses
KEEPALIVE_S = 5.0  # idle keep-alive connection lifetime
REQUEST_S = 10.0  # a request's head and body must arrive within this (slow clients)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
log = logging.getLogger("hitstream.ingest")


class App(Protocol):
    """What the server needs from the application (`IngestCore` has it)."""

    def body_limit(self, method: str, path: str) -> int: ...
    def too_large(self, method: str, path: str, size: int) -> Response: ...
    def precheck(self, req: Request) -> Response | None: ...
    async def handle(self, req: Request) -> Response: ...


class Pending:
    """A request being read or waiting to be handled; `early` is an answer decided from its head."""

    __slots__ = ("body", "early", "head_only", "keep_alive", "limit", "req", "size")

    def __init__(self, req: Request, limit: int, keep_alive: bool) -> None:
        self.req = req
        self.limit = limit
        self.keep_alive = keep_alive
        self.head_only = req.method == "HEAD"
        self.body: list[bytes] = []
        self.size = 0
        self.early: Response | None = None


class HttpProtocol(asyncio.Protocol):
    def __init__(self, app: App, conns: set[HttpProtocol]) -> None:
        self.app = app
        self.conns = conns
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer: str | None = None
        self.queue: deque[Pending] = deque()
        self.current: Pending | None = None
        self.worker: asyncio.Task[None] | None = None
        self.closing = False  # no more requests are read; close once the queue is answered
        self.stopping = False  # graceful shutdown asked
        self.write_paused = False
        self.read_paused = False
        self.reading = False  # between a request's first byte and its end
        self.deadline = time.monotonic() + KEEPALIVE_S
        self._url = b""
        self._headers: dict[str, str] = {}
        self._head_bytes = 0

    # -- connection -------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else None
        self.conns.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        # A request being handled is not cancelled: its event may already be on its way to Kafka.
        self.conns.discard(self)
        self.closing = True

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Upgrade is not supported")
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, HeadTooLarge):
                self._fail(431, "Request header fields too large")
            else:
                self._fail(400, "Malformed HTTP request")
        else:
            self._after_feed()

    def pause_writing(self) -> None:
        self.write_paused = True
        self.deadline = min(self.deadline, time.monotonic() + REQUEST_S)  # a client that never reads
        self._pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.worker is not None:
            self.deadline = float("inf")
        self._resume_reading()

    def _pause_reading(self) -> None:
        if not self.read_paused and self.transport is not None:
            self.read_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.read_paused and not self.write_paused and len(self.queue) < MAX_PIPELINED:
            self.read_paused = False
            if self.transport is not None and not self.transport.is_closing():
                self.transport.resume_reading()

    def expire(self, now: float) -> None:
        """Called by the server's sweep: idle or slow connections past their deadline close."""
        if now < self.deadline or self.transport is None:
            return
        if self.reading and not self.queue and self.worker is None:
            self._fail(408, "Request timed out")  # head or body arrived too slowly
        else:
            self.transport.close()

    def shutdown(self) -> None:
        """Graceful stop: idle connections close now, busy ones after their queued answers."""
        self.stopping = True
        if self.worker is None and not self.reading and self.transport is not None:
            self.transport.close()

    # -- parser callbacks (httptools) -------------------------------------------------------
    def on_message_begin(self) -> None:
        self.reading = True
        self._url = b""
        self._headers = {}
        self._head_bytes = 0
        self.deadline = time.monotonic() + REQUEST_S

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._grow(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow(len(name) + len(value) + 4)
        if len(self._headers) >= MAX_HEADERS:
            raise HeadTooLarge
        key = name.decode("latin-1").lower()
        val = value.decode("latin-1")
        headers = self._headers
        headers[key] = f"{headers[key]}, {val}" if key in headers else val

    def _grow(self, n: int) -> None:
        self._head_bytes += n
        if self._head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge

    def on_headers_complete(self) -> None:
        url = httptools.parse_url(self._url)
        raw_path: bytes = url.path or b"/"
        path = unquote(raw_path.decode("latin-1")) if b"%" in raw_path else raw_path.decode("latin-1")
        method = self.parser.get_method().decode("latin-1")
        headers = self._headers
        req = Request(method, path, headers, b"", self.peer, (url.query or b"").decode("latin-1"))
        p = Pending(req, self.app.body_limit(method, path), self.parser.should_keep_alive())
        self.current = p
        p.early = self.app.precheck(req)
        declared = headers.get("content-length")
        if p.early is None and declared is not None and declared.isdigit() and int(declared) > p.limit:
            p.early = self.app.too_large(method, path, int(declared))
        if p.early is None and headers.get("expect", "").lower() == "100-continue" and self._idle():
            assert self.transport is not None
            self.transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        p = self.current
        if p is None or p.early is not None:
            return  # answered from the head: the body is not kept
        p.size += len(body)
        if p.size > p.limit:
            p.early = self.app.too_large(p.req.method, p.req.path, p.size)
            p.body = []
            return
        p.body.append(body)

    def on_message_complete(self) -> None:
        p = self.current
        self.current = None
        self.reading = False
        if p is None:
            return
        self.deadline = float("inf")
        self._enqueue(p)

    # -- answering, in order ----------------------------------------------------------------
    def _idle(self) -> bool:
        return self.worker is None and not self.queue

    def _after_feed(self) -> None:
        """An early answer whose body is still arriving: answer it and close (the rest is unread)."""
        p = self.current
        if p is not None and p.early is not None and not self.closing:
            self.current = None
            p.keep_alive = False
            self.closing = True
            self._enqueue(p)

    def _fail(self, status: int, message: str) -> None:
        self.current = None
        self.reading = False
        self.closing = True
        p = Pending(Request("GET", "", {}, b"", self.peer), 0, False)
        p.early = _error(status, message)
        self._enqueue(p)

    def _enqueue(self, p: Pending) -> None:
        self.queue.append(p)
        if len(self.queue) >= MAX_PIPELINED:
            self._pause_reading()
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        try:
            while self.queue and self.transport is not None and not self.transport.is_closing():
                p = self.queue[0]
                resp = p.early if p.early is not None else await self._answer(p)
                self.queue.popleft()
                keep = p.keep_alive and not (self.stopping and not self.queue and not self.reading)
                self.transport.write(encode(resp, keep, p.head_only))
                if not keep:
                    self.closing = True
                    self.transport.close()
                    return
                self._resume_reading()
        finally:
            self.worker = None
            if not self.reading and not self.closing:
                self.deadline = time.monotonic() + KEEPALIVE_S
                if self.stopping and self.transport is not None:
                    self.transport.close()

    async def _answer(self, p: Pending) -> Response:
        body = p.body[0] if len(p.body) == 1 else b"".join(p.body)
        r = p.req
        try:
            return await self.app.handle(Request(r.method, r.path, r.headers, body, r.peer_ip, r.query))
        except Exception:  # the core maps every error itself; this is a last line of defence
            log.exception("unexpected error answering %s %s", r.method, r.path[:100])
            return _error(500, "Internal error")


class HeadTooLarge(Exception):
    """Raised from a parser callback: the request head passed MAX_HEAD_BYTES or MAX_HEADERS."""
