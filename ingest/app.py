"""The server-neutral ingest application: services, health, metrics, OpenAPI and vendor routes.

The server adapters (`ingest.server`) only move bytes: they ask `body_limit` and `precheck`
before reading a body, then call `handle`. hitstream's own endpoints are routes like the
vendors', so their errors and metrics go through the same router. Start-up creates the Kafka
publisher and the session client; shutdown flushes the publisher, so a graceful stop answers
nothing it has not delivered.
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
from ingest.routing import SERVICE, Route, Router, Services
from ingest.settings import IngestSettings
from ingest.sites import SiteRegistry
from ingest.swetrix_sessions import ProcessorSessions
from ingest.vendors import hitkeep, simple_analytics, supalytics, swetrix, zero_trust

log = logging.getLogger("hitstream.ingest")


def vendor_routes() -> list[Route]:
    return [
        *simple_analytics.ROUTES,
        *zero_trust.ROUTES,
        *swetrix.ROUTES,
        *supalytics.ROUTES,
        *hitkeep.ROUTES,
    ]


def build_router(own: list[Route] | None = None) -> Router:
    return Router([*vendor_routes(), *(own or [])])


def build_services(settings: IngestSettings, publisher: Publisher) -> Services:
    shared = settings.shared
    sessions = ProcessorSessions(settings.processor_urls, timeout_s=settings.processor_timeout_s)
    return Services(
        pipeline=EventPipeline(
            publisher, IpCipher.from_secret(shared.secret), RoutingHasher.from_secret(shared.secret), sessions
        ),
        sites=SiteRegistry(settings.sites_path),
        trusted_proxies=parse_networks(settings.trusted_proxies),
        supalytics_limits=RateLimiter(settings.supalytics_rate_per_s),
        hitkeep_limits=RateLimiter(settings.hitkeep_rate_per_s),
    )


class IngestApp:
    def __init__(self, settings: IngestSettings, services: Services | None = None) -> None:
        self.settings = settings
        self.router = build_router(self._service_routes())
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
            await self.services.pipeline.sessions.close()
        if self._publisher is not None:
            left = await asyncio.to_thread(self._publisher.close)
            if left:
                log.error("shutdown left %d events unacknowledged by Kafka", left)

    def body_limit(self, method: str, path: str) -> int:
        return self.router.max_body(method, path)

    def too_large(self, req: Request, size: int) -> Response:
        return self.router.too_large(req, self.services, size)

    def precheck(self, req: Request) -> Response | None:
        return None if self.services is None else self.router.precheck(req, self.services)

    async def handle(self, req: Request) -> Response:
        assert self.services is not None, "start() must run before requests are handled"
        return await self.router.dispatch(req, self.services)

    def _service_routes(self) -> list[Route]:
        """hitstream's own endpoints: the same routes, errors and metrics as the vendors'."""

        async def healthz(req: Request, svc: Services) -> Response:
            return Response.json(200, {"status": "ok"})

        async def readyz(req: Request, svc: Services) -> Response:
            ready = self._publisher is not None and await asyncio.to_thread(self._publisher.ready)
            return Response.json(200 if ready else 503, {"ready": ready})

        async def metrics(req: Request, svc: Services) -> Response:
            return Response(200, generate_latest(), [("content-type", CONTENT_TYPE_LATEST)])

        async def openapi_json(req: Request, svc: Services) -> Response:
            return Response(200, self._openapi, [("content-type", "application/json")])

        own = [
            ("/healthz", healthz, "Liveness"),
            ("/readyz", readyz, "Readiness: Kafka answers for the raw topic (503 until then)"),
            ("/metrics", metrics, "Prometheus metrics"),
            ("/openapi.json", openapi_json, "This document"),
        ]
        return [
            Route(method, path, handler, SERVICE, 0, summary=summary, responses={200: "OK"})
            for path, handler, summary in own
            for method in ("GET", "HEAD")
        ]
