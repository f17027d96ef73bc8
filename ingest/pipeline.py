"""The common tail of every vendor route: identify the hit, publish it, wait for Kafka.

Vendor routes decode and validate their own dialect; everything after `to_canonical` is the
same for all of them and lives here, so there is one place that builds Kafka keys and one that
encrypts IPs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

import uuid_utils

from common.crypto import IpCipher, RoutingHasher
from common.metrics import INGEST_FILTERED, INGEST_PUBLISH_SECONDS
from schemas.events import CanonicalEvent
from schemas.vendors.context import HitContext


class Canonicalisable(Protocol):
    def to_canonical(self, ctx: HitContext) -> CanonicalEvent: ...


class Publishing(Protocol):
    async def publish(self, key: bytes, value: bytes) -> None: ...


class EventPipeline:
    def __init__(self, publisher: Publishing, cipher: IpCipher, routing: RoutingHasher) -> None:
        self._publisher = publisher
        self._cipher = cipher
        self._routing = routing

    def context(self, site_id: str, user_agent: str | None, ip: str | None) -> HitContext:
        return HitContext(
            site_id=site_id,
            event_id=str(uuid_utils.uuid7()),
            received_at=datetime.now(UTC),
            user_agent=user_agent,
            ip_encrypted=self._cipher.encrypt(ip) if ip else None,
        )

    def routing_key(self, event: CanonicalEvent, ip: str | None) -> bytes:
        """site|visitor: one visitor's events share a partition with their processor state."""
        visitor = event.visitor_id or event.session_hint or self._routing(ip or "", event.user_agent or "")
        return f"{event.site_id}|{visitor}".encode()

    async def publish(self, payload: Canonicalisable, ctx: HitContext, ip: str | None) -> CanonicalEvent:
        event = payload.to_canonical(ctx)
        await self.publish_event(event, self.routing_key(event, ip))
        return event

    async def publish_event(self, event: CanonicalEvent, key: bytes) -> None:
        """Resolve once Kafka acknowledged; `Unavailable` (503) otherwise."""
        started = time.perf_counter()
        await self._publisher.publish(key, _to_json(event))
        INGEST_PUBLISH_SECONDS.observe(time.perf_counter() - started)

    async def publish_filtered(self, event: CanonicalEvent, key: bytes, reason: str) -> None:
        """A hit the vendor promises not to store: published only to be counted per site/day/reason."""
        INGEST_FILTERED.labels(event.vendor.value, reason.split(":", 1)[0]).inc()
        await self.publish_event(event.model_copy(update={"filtered_reason": reason}), key)


def _to_json(event: CanonicalEvent) -> bytes:
    """`model_dump_json()` as bytes straight from pydantic-core (no str round trip)."""
    return CanonicalEvent.__pydantic_serializer__.to_json(event)
