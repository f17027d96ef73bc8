"""The one shape of every vendor route after its own parsing: identify, gate, publish, wait for Kafka.

A vendor route decodes and validates its dialect, resolves the site, and hands each event the
request carries to `submit` as a `Hit`: the payload (which knows its `to_canonical`) plus what
identifies the visitor. Everything after that is the same for all five vendors and lives here,
so there is one place that builds Kafka keys, one that encrypts IPs, one that filters the bots a
vendor promises to drop, and one that asks the processors for Swetrix's session verdicts.

Visitor identity is only ever the visitor's own: a forwarded visitor IP and user agent, or a
vendor visitor or session id. A relaying backend's socket address and HTTP-library user agent
never reach a `Hit` (each vendor module decides which request facts are the visitor's). A hit
with none of them is anonymous: its Kafka key is unique to the event, and the processors give it
no visitor, session or bot verdict of their own (docs/processors.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, Protocol

import uuid_utils

from common.bots import classify_user_agent
from common.crypto import IpCipher, RoutingHasher
from common.metrics import INGEST_FILTERED, INGEST_PUBLISH_SECONDS
from ingest.errors import Forbidden
from ingest.swetrix_sessions import SessionOracle
from schemas.events import CanonicalEvent
from schemas.swetrix_sessions import SessionTouch
from schemas.vendors.context import HitContext


class Canonicalisable(Protocol):
    def to_canonical(self, ctx: HitContext) -> CanonicalEvent: ...


class Publishing(Protocol):
    async def publish(self, key: bytes, value: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class SwetrixRule:
    """Ask the processors' Swetrix session table before publishing (403 when it says no).

    `ip` is Swetrix's own notion of the client (`X-Client-IP-Address`, else whoever connected), so
    the answer is the one Swetrix would give; it never becomes the visitor's identity."""

    kind: Literal["pageview", "custom", "heartbeat", "error"]
    unique: bool
    event_name: str | None
    ip: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    """One event of an accepted request, with what identifies its visitor."""

    payload: Canonicalisable
    site_id: str
    visitor_ip: str | None  # the visitor's address; never a relaying backend's
    user_agent: str | None  # the visitor's user agent; None: unknown, "": the visitor sent none
    drop_bots: bool = False  # the vendor promises not to store bots: count them, publish filtered
    swetrix: SwetrixRule | None = None


class Outcome(StrEnum):
    STORED = "stored"
    FILTERED = "filtered"  # a bot the vendor promised to drop: counted, never stored as an event


class EventPipeline:
    def __init__(
        self, publisher: Publishing, cipher: IpCipher, routing: RoutingHasher, sessions: SessionOracle
    ) -> None:
        self._publisher = publisher
        self._cipher = cipher
        self._routing = routing
        self.sessions = sessions

    async def submit(self, hit: Hit) -> Outcome:
        """Publish one hit; resolve once Kafka acknowledged it. Raises `Forbidden` when Swetrix's
        session rules refuse it and `Unavailable` (503) when Kafka or the processors do not answer."""
        ctx = HitContext(
            site_id=hit.site_id,
            event_id=str(uuid_utils.uuid7()),
            received_at=datetime.now(UTC),
            user_agent=hit.user_agent,
            ip_encrypted=self._cipher.encrypt(hit.visitor_ip) if hit.visitor_ip else None,
        )
        event = hit.payload.to_canonical(ctx)
        key = self.routing_key(event, hit.visitor_ip)
        bot = classify_user_agent(hit.user_agent) if hit.drop_bots else None
        if bot is not None:
            INGEST_FILTERED.labels(event.vendor.value, bot.split(":", 1)[0]).inc()
            await self._publish(event.model_copy(update={"filtered_reason": bot}), key)
            return Outcome.FILTERED
        if hit.swetrix is not None:
            await self._swetrix_verdict(hit, event, key)
        await self._publish(event, key)
        return Outcome.STORED

    def routing_key(self, event: CanonicalEvent, ip: str | None) -> bytes:
        """`site|visitor`: one visitor's events share a partition with their processor state. An
        anonymous hit gets a key of its own, so anonymous traffic spreads over every partition."""
        if event.visitor_id or event.session_hint:
            visitor = event.visitor_id or event.session_hint
        elif ip:
            visitor = self._routing(ip, event.user_agent or "")
        else:
            visitor = f"a:{event.event_id}"
        return f"{event.site_id}|{visitor}".encode()

    async def _swetrix_verdict(self, hit: Hit, event: CanonicalEvent, key: bytes) -> None:
        rule = hit.swetrix
        assert rule is not None
        if rule.ip != hit.visitor_ip:  # a relay without the visitor's IP: Swetrix keys it by the relay
            key = f"{hit.site_id}|{self._routing(rule.ip or '', hit.user_agent or '')}".encode()
        touch = SessionTouch(
            key=key.decode(),
            kind=rule.kind,
            unique=rule.unique,
            event_name=rule.event_name,
            at=event.received_at,
        )
        verdict = await self.sessions.touch(touch)
        if not verdict.accept:
            raise Forbidden(verdict.reason or "The session rules refused this event")

    async def _publish(self, event: CanonicalEvent, key: bytes) -> None:
        started = time.perf_counter()
        await self._publisher.publish(key, CanonicalEvent.__pydantic_serializer__.to_json(event))
        INGEST_PUBLISH_SECONDS.observe(time.perf_counter() - started)
