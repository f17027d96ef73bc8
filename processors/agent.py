"""The enrich agent: raw canonical events in, enriched events out, in batches.

For each batch taken from the raw topic (`faust_internals.take`: up to `PROCESSOR_BATCH_EVENTS`
events, or what arrives within `PROCESSOR_BATCH_WAIT_MS` of the first):

    decode → salts for the days it needs → read the keys' state (RocksDB) → `batch.process`
    → enriched events and dead letters produced and acknowledged
    → state changes produced to the `sessions` changelog and acknowledged
    → one RocksDB write batch per partition, faust's persisted changelog offset
    → ack every event (their offsets become committable only now)

Outputs are acknowledged before the state that counts them exists anywhere, so state never
runs ahead of what reached Kafka: a redelivered event the state already counts was emitted, and
is acked without being applied or emitted again. If Kafka refuses a batch, nothing is acked and
the worker stops; restarted, it processes the batch again (the sink drops repeated event ids).
The expiry sweeper deletes under the same lock, so a tombstone never lands between a batch's
read of a key and its write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

import faust
import orjson

from common.metrics import PROCESSOR_BOTS, PROCESSOR_DLQ, PROCESSOR_EVENTS
from processors import batch, faust_internals
from processors.batch import BatchResult, DeadLetter, Decoded, RawMessage, Rules
from processors.enrich import Enricher
from processors.faust_internals import TableStore
from processors.live import LiveVisitors
from processors.output import Output, Record
from processors.rules.sessions import Limits
from processors.salts import KafkaSaltStore, SaltError
from processors.state import KeyState
from schemas.dead_letter import Envelope

log = logging.getLogger("hitstream.processors")


class HotPath:
    """Everything the agent needs, built once by `processors.app.build`."""

    def __init__(
        self,
        *,
        app: faust.App,
        raw_topic: str,
        enriched_topic: str,
        dlq_topic: str,
        store: TableStore,
        output: Output,
        salts: KafkaSaltStore,
        enricher: Enricher,
        limits: Limits,
        live: LiveVisitors,
        batch_events: int,
        batch_wait_s: float,
    ) -> None:
        self.app = app
        self.raw_topic, self.enriched_topic, self.dlq_topic = raw_topic, enriched_topic, dlq_topic
        self.store = store
        self.output = output
        self.salts = salts
        self.enricher = enricher
        self.limits = limits
        self.live = live
        self.batch_events = batch_events
        self.batch_wait_s = batch_wait_s
        self.lock = asyncio.Lock()  # one batch, or one expiry slice, at a time
        # Per raw partition, the latest arrival time processed: the expiry watermark's input.
        self.received: dict[int, float] = {}
        # Per raw partition, the next offset to process: the consumer lag metric's input.
        self.next_offset: dict[int, int] = {}

    async def run(self, stream: faust.StreamT[Any]) -> None:
        """The agent's body: batches for as long as the worker runs."""
        channel = faust_internals.subscribe(stream)
        faust_internals.fast_drain(self.app, lambda: (channel.queue,))
        while True:
            events = await faust_internals.take(channel, self.app, self.batch_events, self.batch_wait_s)
            if events is None:  # faust stopped the stream (a stop or a restart): a normal end
                log.info("enrich agent stopped")
                return
            if not events:
                continue
            try:
                async with self.lock:
                    await self.handle([_raw(e) for e in events])
            except Exception as exc:  # nothing is acked: a restarted worker processes the batch again
                log.critical("a batch could not be processed, stopping the worker: %r", exc, exc_info=True)
                await self.app.crash(exc)
                raise
            for event in events:
                event.ack()

    async def handle(self, messages: list[RawMessage]) -> BatchResult:
        decoded = batch.decode(messages)
        salts = {day: await self._salt(day) for day in batch.salt_days(decoded)}
        states = self._read(batch.stateful_keys(decoded))
        result = batch.process(decoded, states, Rules(self.enricher, self.limits, salts))
        await self.output.send(
            [Record(self.enriched_topic, o.key, o.value) for o in result.outputs]
            + [self._letter(d) for d in result.dead]
        )
        await self._persist(result)
        self._account(result, decoded)
        for m in messages:
            if m.offset >= self.next_offset.get(m.partition, 0):
                self.next_offset[m.partition] = m.offset + 1
        return result

    def _read(self, keys: set[tuple[int, bytes]]) -> dict[tuple[int, bytes], KeyState | None]:
        by_partition: dict[int, list[bytes]] = {}
        for partition, key in keys:
            by_partition.setdefault(partition, []).append(key)
        states: dict[tuple[int, bytes], KeyState | None] = {}
        for partition, ks in by_partition.items():
            for key, raw in zip(ks, self.store.read(partition, ks), strict=True):
                states[(partition, key)] = KeyState.from_json(orjson.loads(raw)) if raw is not None else None
        return states

    async def _persist(self, result: BatchResult) -> None:
        """State changes of the partitions this worker still owns. One revoked meanwhile (a
        rebalance outlasted faust's wait for this batch) is left to its new owner, which
        processes the batch's events again from its own state: a late changelog record from
        here could land after that owner's and roll its state back."""
        owned = self.store.assigned()
        changes = {slot: s for slot, s in result.changes.items() if slot[0] in owned}
        if not changes:
            return
        topic = self.store.changelog_topic
        values = {slot: orjson.dumps(s.to_json()) for slot, s in changes.items()}
        offsets = await self.output.send(
            [Record(topic, key, value, partition) for (partition, key), value in values.items()]
        )
        by_partition: dict[int, dict[bytes, bytes | None]] = {}
        for (partition, key), value in values.items():
            by_partition.setdefault(partition, {})[key] = value
        for partition, puts in by_partition.items():
            self.store.write(partition, puts, offsets.get((topic, partition)))

    async def _salt(self, day: date) -> bytes:
        salt = self.salts.cached(day)
        while salt is None:
            try:
                return await asyncio.to_thread(self.salts.salt_for, day)
            except SaltError as exc:  # Kafka unreachable: hold the stream, do not drop events
                log.error("visitor salt unavailable, retrying: %s", exc)
                await asyncio.sleep(1.0)
        return salt

    def _letter(self, dead: DeadLetter) -> Record:
        family = dead.reason.split(":", 1)[0]
        log.warning("dead-lettering a raw event: %s", dead.reason)
        PROCESSOR_DLQ.labels(family).inc()
        m = dead.message
        envelope = Envelope.of(dead.reason, "processors", self.raw_topic, m.partition, m.offset)
        return Record(self.dlq_topic, m.key, m.value, headers=[*envelope.headers()])

    def _account(self, result: BatchResult, decoded: Iterable[Decoded | DeadLetter]) -> None:
        PROCESSOR_EVENTS.labels("enriched").inc(len(result.outputs))
        if result.dead:
            PROCESSOR_EVENTS.labels("dead_lettered").inc(len(result.dead))
        if result.redelivered:
            PROCESSOR_EVENTS.labels("redelivered").inc(result.redelivered)
        for family, n in result.bots.items():
            PROCESSOR_BOTS.labels(family).inc(n)
        for site, key, partition, at in result.live:
            self.live.touch(site, key, partition, at)
        for partition, received in result.received.items():
            if received > self.received.get(partition, 0.0):
                self.received[partition] = received


def _raw(event: faust.EventT[Any]) -> RawMessage:
    message = event.message
    return RawMessage(event.key, event.value, message.partition, message.offset)
