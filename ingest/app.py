"""The ingest ASGI application: health endpoints plus every vendor route.

The ASGI layer only moves bytes: it reads the body up to the route's cap, builds a `Request`,
and writes the `Response`. The publisher is created at lifespan start-up and flushed at shutdown,
so a graceful stop answers nothing it has not delivered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hitstream.crypto import IpCipher, RoutingHasher
from ingest.clientip import parse_networks
from ingest.http import Request, Response
from ingest.pipeline import EventPipeline
from ingest.publisher import Publisher
from ingest.routing import Router, Services
from ingest.settings import IngestSettings
from ingest.sites import SiteRegistry
from ingest.vendors import swetrix

log = logging.getLogger("hitstream.ingest")

Scope = dict[str, Any]
Receive = Any
Send = Any


def build_router() -> Router:
    return Router([*swetrix.ROUTES])


class IngestApp:
    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self.router = build_router()
        self.services: Services | None = None
        self._publisher: Publisher | None = None

    def start(self) -> None:
        shared = self.settings.shared
        self._publisher = Publisher(
            shared.bootstrap_servers,
            shared.topic_raw,
            timeout_s=self.settings.publish_timeout_s,
            queue_max_messages=self.settings.queue_max_messages,
            linger_ms=self.settings.linger_ms,
        )
        self.services = Services(
            pipeline=EventPipeline(
                self._publisher, IpCipher.from_secret(shared.secret), RoutingHasher.from_secret(shared.secret)
            ),
            sites=SiteRegistry(self.settings.sites_path),
            trusted_proxies=parse_networks(self.settings.trusted_proxies),
        )

    def stop(self) -> None:
        if self._publisher is not None:
            left = self._publisher.close()
            if left:
                log.error("shutdown left %d events unacknowledged by Kafka", left)

    async def handle(self, req: Request) -> Response:
        if req.path == "/healthz":
            return Response.json(200, {"status": "ok"})
        if req.path == "/readyz":
            ready = self._publisher is not None and await asyncio.to_thread(self._publisher.ready)
            return Response.json(200 if ready else 503, {"ready": ready})
        assert self.services is not None, "start() must run before requests are handled"
        return await self.router.dispatch(req, self.services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method: str = scope["method"]
        path: str = scope["path"]
        limit = self.router.max_body(method, path)
        body, size = await _read_body(receive, limit)
        if size > limit:
            await _send(send, self.router.too_large(method, path, size))
            return
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            val = v.decode("latin-1")
            headers[name] = f"{headers[name]}, {val}" if name in headers else val
        client = scope.get("client")
        req = Request(
            method=method,
            path=path,
            headers=headers,
            body=body,
            peer_ip=client[0] if client else None,
            query=scope.get("query_string", b"").decode("latin-1"),
        )
        await _send(send, await self.handle(req))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:  # start-up failure must stop the server, with the reason
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.stop)
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
