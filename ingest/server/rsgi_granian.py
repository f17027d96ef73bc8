"""The RSGI adapter (granian): moves bytes between granian's Rust HTTP server and `IngestApp`.

granian parses HTTP in Rust (hyper: keep-alive, header limits, read timeouts for slow clients)
and calls this object with a scope and a protocol; it skips the ASGI message dicts, which were
the largest per-request cost measured (docs/ingest.md). The body cap and header checks run
before the body is read; a declared Content-Length within the cap is read in one call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ingest.app import IngestApp
from ingest.http_types import Request, Response
from ingest.settings import IngestSettings, get_settings


def _peer(client: str) -> str | None:
    """granian's `client` is "host:port" ("[v6]:port" or, seen on some versions, "v6:port")."""
    host = client.strip()
    if not host:
        return None
    if host.startswith("["):
        return host[1:].split("]", 1)[0] or None
    return host.split(":", 1)[0] if host.count(":") == 1 else host.rsplit(":", 1)[0]


class IngestRSGI:
    def __init__(self, settings: IngestSettings | None = None, core: IngestApp | None = None) -> None:
        self.core = core or IngestApp(settings or get_settings())

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.core.start()

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        # granian calls this after its serving loop has returned: flush what Kafka still owes.
        loop.run_until_complete(self.core.stop())

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        method: str = scope.method
        path: str = scope.path
        headers: dict[str, str] = {}
        for name, value in scope.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        req = Request(method, path, headers, b"", _peer(scope.client), scope.query_string)
        resp = self.core.precheck(req)
        if resp is None:
            limit = self.core.body_limit(method, path)
            body, size = await _read_body(proto, headers.get("content-length"), limit)
            if size > limit:
                resp = self.core.too_large(req, size)
            else:
                resp = await self.core.handle(Request(method, path, headers, body, req.peer_ip, req.query))
        _respond(proto, resp)


async def _read_body(proto: Any, declared: str | None, limit: int) -> tuple[bytes, int]:
    """The body and its size; stops reading once past `limit` (size is then limit+1 or more)."""
    if declared is not None and declared.isdigit():
        size = int(declared)
        if size > limit:
            return b"", size
        if size == 0:
            return b"", 0
        body: bytes = await proto()
        return body, len(body)
    chunks: list[bytes] = []
    size = 0
    async for chunk in proto:
        size += len(chunk)
        if size > limit:
            break
        chunks.append(chunk)
    return b"".join(chunks), size


def _respond(proto: Any, resp: Response) -> None:
    if resp.body:
        proto.response_bytes(resp.status, resp.headers, resp.body)
    else:
        proto.response_empty(resp.status, resp.headers)


def app() -> IngestRSGI:
    """granian's factory target (`--interface rsgi --factory ingest.server.rsgi_granian:app`), run
    in the worker process, so logging is set up here."""
    from common import logs

    settings = get_settings()
    logs.setup(settings.log_level, "ingest")
    return IngestRSGI(settings)
