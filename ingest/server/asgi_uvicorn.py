"""The ASGI adapter (uvicorn): moves bytes between ASGI and `IngestApp`.

The body cap and the header-only checks (HitKeep authenticates first) are applied before the
body is read, so an oversized or unauthenticated upload is answered without being buffered.
"""

from __future__ import annotations

from typing import Any

from ingest.app import IngestApp
from ingest.http_types import Request, Response
from ingest.routing import Services
from ingest.settings import IngestSettings

__all__ = ["IngestASGI"]

Scope = dict[str, Any]
Receive = Any
Send = Any


class IngestASGI:
    def __init__(self, settings: IngestSettings, services: Services | None = None) -> None:
        self.core = IngestApp(settings, services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        path: str = scope["path"]
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            val = v.decode("latin-1")
            headers[name] = f"{headers[name]}, {val}" if name in headers else val
        client = scope.get("client")
        req = Request(
            method,
            path,
            headers,
            b"",
            client[0] if client else None,
            scope.get("query_string", b"").decode("latin-1"),
        )
        early = self.core.precheck(req)
        if early is not None:
            await _send(send, early)
            return
        limit = self.core.body_limit(method, path)
        body, size = await _read_body(receive, limit)
        if size > limit:
            await _send(send, self.core.too_large(req, size))
            return
        await _send(
            send, await self.core.handle(Request(method, path, headers, body, req.peer_ip, req.query))
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.core.start()
                except Exception as exc:  # start-up failure must stop the server, with the reason
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.core.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, int]:
    """Read at most limit+1 bytes; the size tells the caller whether the cap was passed."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False) or size > limit:
            break
    return b"".join(chunks), size


async def _send(send: Send, resp: Response) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers]
    await send({"type": "http.response.start", "status": resp.status, "headers": headers})
    await send({"type": "http.response.body", "body": resp.body})
