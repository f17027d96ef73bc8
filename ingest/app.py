"""The server-neutral ingest application: services, health, metrics, OpenAPI and vendor routes.

Adapters (`ingest.server.rsgi_granian`, `ingest.server.asgi_uvicorn`) only move bytes: they ask `body_limit`
and `precheck` before reading a body, then call `handle`. Start-up creates the Kafka publisher
and the session client; shutdown flushes the publisher, so a graceful stop answers nothing it
has not delivered.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.crypto import IpCipher, RoutingHasher
from ingest import openapi
from ingest.clientip import parse_networks
from ingest.http_types import Request, Response
from ingest.pipeline import EventPipeline
from ingest.publisher import Publisher
from ingest.ratelimit import RateLimiter
from ingest.routing import Router, Services
from ingest.settings import IngestSettings
from ingest.sites import SiteRegistry
from ingest.swetrix_sessions import ProcessorSessions
from ingest.vendors import hitkeep, simple_analytics, supalytics, swetrix, zero_trust

log = logging.getLogger("hitstream.ingest")
_OWN = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


def build_router() -> Router:
    return Router(
        [*simple_analytics.ROUTES, *zero_trust.ROUTES, *swetrix.ROUTES, *supalytics.ROUTES, *hitkeep.ROUTES]
    )


def build_services(settings: IngestSettings, publisher: Publisher) -> Services:
    shared = settings.shared
    return Services(
        pipeline=EventPipeline(
            publisher, IpCipher.from_secret(shared.secret), RoutingHasher.from_secret(shared.secret)
        ),
        sites=SiteRegistry(settings.sites_path),
        trusted_proxies=parse_networks(settings.trusted_proxies),
        sessions=ProcessorSessions(settings.processor_urls, timeout_s=settings.processor_timeout_s),
        supalytics_limits=RateLimiter(settings.supalytics_rate_per_s),
        hitkeep_limits=RateLimiter(settings.hitkeep_rate_per_s),
    )


class IngestApp:
    def __init__(self, settings: IngestSettings, services: Services | None = None) -> None:
        self.settings = settings
        self.router = build_router()
        self.services = services
        self._publisher: Publisher | None = None
        self._openapi = openapi.document_bytes(self.router)

    def start(self) -> None:
        if self.services is not None:
            return
        shared = self.settings.shared
        self._publisher = Publisher(
            shared,
            shared.topic_raw,
            timeout_s=self.settings.publish_timeout_s,
            queue_max_messages=self.settings.queue_max_messages,
            linger_ms=self.settings.linger_ms,
        )
        self.services = build_services(self.settings, self._publisher)

    async def stop(self) -> None:
        if self.services is not None:
            await self.services.sessions.close()
        if self._publisher is not None:
            left = await asyncio.to_thread(self._publisher.close)
            if left:
                log.error("shutdown left %d events unacknowledged by Kafka", left)

    def body_limit(self, method: str, path: str) -> int:
        return 0 if path in _OWN else self.router.max_body(method, path)

    def too_large(self, method: str, path: str, size: int) -> Response:
        return self.router.too_large(method, path, size)

    def precheck(self, req: Request) -> Response | None:
        if self.services is None or req.path in _OWN:
            return None
        return self.router.precheck(req, self.services)

    async def handle(self, req: Request) -> Response:
        if req.path in _OWN:
            return await self._own(req)
        assert self.services is not None, "start() must run before requests are handled"
        return await self.router.dispatch(req, self.services)

    async def _own(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return Response.json(405, {"error": f"Method {req.method[:20]} not allowed"}, [("allow", "GET")])
        if req.path == "/healthz":
            return Response.json(200, {"status": "ok"})
        if req.path == "/metrics":
            return Response(200, generate_latest(), [("content-type", CONTENT_TYPE_LATEST)])
        if req.path == "/openapi.json":
            return Response(200, self._openapi, [("content-type", "application/json")])
        ready = self._publisher is not None and await asyncio.to_thread(self._publisher.ready)
        return Response.json(200 if ready else 503, {"ready": ready})
