"""The enrich agent: raw canonical events in, enriched events out, one message at a time.

faust acknowledges a message even when the agent raises, so every failure is handled here: bad
input goes to the DLQ with a reason header; a salt topic that cannot be reached blocks the
stream (and retries) rather than losing events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import faust
from pydantic import ValidationError

from common.metrics import (
    PROCESSOR_BOTS,
    PROCESSOR_CACHE,
    PROCESSOR_DLQ,
    PROCESSOR_EVENTS,
    PROCESSOR_STATE_KEYS,
)
from processors import state, views
from processors.app import (
    app,
    dlq_topic,
    enriched_topic,
    raw_topic,
    sessions_table,
    settings,
    shared,
)
from processors.enrich import Enricher, PoisonEvent, needs_salt
from processors.expiry import Sweeper
from processors.live import LiveVisitors
from processors.metadata import ensure_changelog_metadata
from processors.rules import bots, geo, sessions
from processors.rules.useragent import UserAgentParser
from processors.salts import KafkaSaltStore, SaltError
from schemas.dead_letter import Envelope
from schemas.events import CanonicalEvent, EnrichedEvent

log = logging.getLogger("hitstream.processors")

limits = sessions.Limits(
    lateness=timedelta(seconds=settings.lateness_seconds),
    rate_window=timedelta(seconds=settings.bot_rate_window_seconds),
    rate_max_events=settings.bot_rate_max_events,
)
geo_lookup = geo.GeoLookup(settings.geoip_db, settings.geoip_asn_db)
enricher = Enricher(shared.secret, UserAgentParser(settings.ua_cache_size), geo_lookup)
salt_store = KafkaSaltStore(shared, settings.salt_topic_name)
live = LiveVisitors(settings.live_window_seconds)
views.install(app, live)
_expiry = Sweeper(
    sessions_table,
    lambda raw, watermark: sessions.expired(state.KeyState.from_json(raw).days, watermark, limits),
    PROCESSOR_STATE_KEYS.labels("sessions").set,
)
# Per raw partition: the latest `received_at` processed (ingest's clock, in arrival order, unlike
# event times, which clients set). Expiry must not outrun any partition: a partition that lags
# (catching up after a rebalance) still holds events for sessions a live partition has left behind.
_received: dict[int, float] = {}


async def _dead_letter(key: bytes | None, value: bytes, reason: str, partition: int, offset: int) -> None:
    family = reason.split(":", 1)[0]
    log.warning("dead-lettering a raw event: %s", reason)
    PROCESSOR_DLQ.labels(family).inc()
    PROCESSOR_EVENTS.labels("dead_lettered").inc()
    envelope = Envelope.of(reason, "processors", raw_topic.get_topic_name(), partition, offset)
    await dlq_topic.send(key=key, value=value, headers=envelope.headers())


async def _salt(event: CanonicalEvent) -> bytes:
    if not needs_salt(event):
        return b""
    day = event.event_time.astimezone(UTC).date()
    salt = salt_store.cached(day)
    while salt is None:
        try:
            return await asyncio.to_thread(salt_store.salt_for, day)
        except SaltError as exc:  # Kafka unreachable: hold the stream, do not drop events
            log.error("visitor salt unavailable, retrying: %s", exc)
            await asyncio.sleep(1.0)
    return salt


def _with_state(
    event: EnrichedEvent, key: bytes, offset: int, standalone: bool
) -> tuple[EnrichedEvent, Callable[[], None]]:
    """The event with its session fields, and the state write to make once it has been sent
    (output first, then state: a crash in between redelivers the event and recomputes it)."""
    if state.is_anonymous(event) or event.filtered_reason is not None:
        return state.apply(event, key, None, limits, offset).event, _nothing
    raw = sessions_table.get(key)
    before = state.KeyState.from_json(raw) if raw is not None else None
    outcome = state.apply(event, key, before, limits, offset, standalone=standalone)
    if outcome.redelivered:
        PROCESSOR_EVENTS.labels("redelivered").inc()
        return outcome.event, _nothing
    after = outcome.state

    def write() -> None:
        if after is not None and after != before:
            sessions_table[key] = after.to_json()

    return outcome.event, write


def _nothing() -> None:
    return None


async def handle(key: bytes | None, value: bytes, partition: int, offset: int) -> None:
    await ensure_changelog_metadata(app, sessions_table)
    try:
        canonical = CanonicalEvent.model_validate_json(value)
    except ValidationError as exc:
        await _dead_letter(
            key, value, f"invalid canonical event: {exc.errors()[0]['msg']}", partition, offset
        )
        return
    result = enricher.enrich(canonical, await _salt(canonical))
    if isinstance(result, PoisonEvent):
        await _dead_letter(key, value, f"undecryptable: {result.reason}", partition, offset)
        return
    state_key = key or f"{result.site_id}|{result.visitor_key}".encode()
    event, write_state = _with_state(result, state_key, offset, canonical.standalone_session)
    _received[partition] = max(_received.get(partition, 0.0), event.received_at.timestamp())
    if event.session_id is not None:
        live.touch(event.site_id, state_key, partition, event.event_time.timestamp())
    if event.bot_reason:
        PROCESSOR_BOTS.labels(bots.family(event.bot_reason)).inc()
    PROCESSOR_EVENTS.labels("enriched").inc()
    await enriched_topic.send(key=key, value=event.model_dump_json().encode())
    write_state()


@app.agent(raw_topic)
async def enrich(stream: faust.StreamT[bytes]) -> None:
    """Every raw event becomes one enriched event, or one dead letter; faust acks either way."""
    async for event in stream.events():
        try:
            await handle(event.key, event.value, event.message.partition, event.message.offset)
        except Exception as exc:  # a rule bug must not silently lose the event: DLQ it
            log.exception("enrichment failed")
            message = event.message
            await _dead_letter(
                event.key,
                event.value,
                f"internal error: {type(exc).__name__}",
                message.partition,
                message.offset,
            )


@app.timer(interval=30.0)  # type: ignore[untyped-decorator]
async def _housekeeping() -> None:
    """Expire idle sessions, prune live visitors, publish cache metrics."""
    live.prune(time.time())
    _publish_cache_metrics()
    watermark = sessions.expiry_watermark(
        {tp.partition for tp in app.consumer.assignment() if tp.topic == raw_topic.get_topic_name()},
        _received,
    )
    if watermark is not None:
        await _expiry.sweep(watermark, budget=50_000)


_reported = {"hit": 0, "miss": 0}


def _publish_cache_metrics() -> None:
    for result, total in (("hit", enricher.ua.hits), ("miss", enricher.ua.misses)):
        PROCESSOR_CACHE.labels("user_agent", result).inc(total - _reported[result])
        _reported[result] = total


@app.on_partitions_revoked.connect  # type: ignore[arg-type]  # faust sends (sender, revoked)
async def _on_revoked(sender: Any, revoked: set[Any], **_: Any) -> None:
    live.drop_partitions(tp.partition for tp in revoked if tp.topic == raw_topic.get_topic_name())


def startup_report() -> None:
    if not geo_lookup.enabled:
        log.warning("no GeoIP database configured (PROCESSOR_GEOIP_DB): country comes from time zones only")
    log.info("visitor salts on topic %s", settings.salt_topic_name)


@app.task  # type: ignore[untyped-decorator]
async def _quiet_library_debug_logs() -> None:
    """aiokafka and faust call `log.debug` several times per message; with the root logger at
    DEBUG each call builds a LogRecord that the handler then drops (~8% of CPU in a profile).
    Raise their loggers to the worker's level once logging is configured."""
    level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
    for name in ("aiokafka", "faust", "mode", "kafka"):
        if logging.getLogger(name).getEffectiveLevel() < level:
            logging.getLogger(name).setLevel(level)
