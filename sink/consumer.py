"""The sink loop: consume, cut a batch, record its plan, land it, dead-letter, commit.

Stages, each with one contract:
  assign  → `sink.recovery` reads back what the last owner of each new partition left: a batch
            recorded and not committed is re-cut from the topic (all of its partitions) to be
            landed again first; each partition resumes after it, with its dedup window rebuilt;
  consume → `Batcher.take` routes each message to its partition's part, dropping upstream
            duplicates (an event_id already in the window) and decoding the rest into rows or
            dead letters;
  plan    → the batch's offset ranges are committed as metadata of every partition in it (the
            offsets do not move) before anything is inserted; retried while Kafka does not take it;
  land    → the batch is one insert per table with a token naming its plan (bisecting on data
            errors), on an insert thread while the next batch is consumed; transient errors are
            retried with backoff while consumption is paused (polling continues, so the consumer
            stays in its group);
  guard   → `SpikeGuard` stops the sink before a DLQ spike is produced or committed;
  dead    → dead letters produced and acknowledged;
  commit  → offsets committed synchronously, only now, only for partitions still held.
A crash anywhere before the commit replays the batch: re-cut at the recorded ranges, with the same
rows and the same token, ClickHouse drops it in `events` and in every view.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from common import kafka
from common.metrics import SINK_BATCH_ROWS, SINK_DUPLICATES, SINK_ERRORS
from common.settings import SharedSettings
from sink import commits, recovery
from sink.batch import TP, Batch, Batcher, Part, batches
from sink.dedup import OffsetsWentBack
from sink.dlq import DeadLetter, DeadLetterProducer, SpikeGuard
from sink.errors import SinkError, TransientError, TransientInsertError
from sink.writer import TableWriter, land_batch

log = logging.getLogger("hitstream.sink")
T = TypeVar("T")
_POLL_S = 0.5
_RECOVERY_TIMEOUT_S = 120.0


class Stopping(SinkError):
    """Asked to stop while a batch could not be written; its offsets stay uncommitted."""


class SinkConsumer:
    def __init__(
        self,
        *,
        shared: SharedSettings,
        group_id: str,
        topic: str,
        writers: dict[str, TableWriter],
        dlq: DeadLetterProducer,
        guard: SpikeGuard,
        max_rows: int,
        max_seconds: float,
        backoff_max_s: float = 30.0,
        window_messages: int = 100_000,
    ) -> None:
        self._shared = shared
        self._group_id = group_id
        self._topic = topic
        self._writers = writers
        self._dlq = dlq
        self._guard = guard
        self._max_rows = max_rows
        self._max_seconds = max_seconds
        self._backoff_max_s = backoff_max_s
        self._window_messages = window_messages
        self._consumer: Consumer = kafka.consumer(
            shared,
            "hitstream-sink",
            group_id,
            **{"auto.offset.reset": "earliest", "partition.assignment.strategy": "cooperative-sticky"},
        )
        self._batcher = Batcher(window_messages)
        self._assigned: set[TP] = set()
        self._paused = False
        self._flushing = False
        self._in_rebalance = False
        self._held: list[Message] = []  # delivered while paused (a partition assigned mid-retry)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink-insert")
        self._inflight: tuple[list[Batch], Future[list[DeadLetter]]] | None = None
        self._replays: list[Batch] = []  # recorded by the last owner, to land before anything else
        self._stop = threading.Event()
        self.assigned = threading.Event()

    @property
    def ready(self) -> bool:
        """Assigned at least one partition and not stuck retrying ClickHouse."""
        return bool(self._assigned) and not self._paused

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if not partitions:
            return
        rec = recovery.recover(
            consumer, self._shared, self._group_id, partitions, self._window_messages, _RECOVERY_TIMEOUT_S
        )
        starts = []
        for tp in partitions:
            key = (tp.topic, tp.partition)
            self._batcher.assign(key, rec.windows.get(key))
            start = rec.starts.get(key, -1)
            starts.append(TopicPartition(tp.topic, tp.partition, start) if start >= 0 else tp)
        self._replays += rec.replays
        consumer.incremental_assign(starts)  # explicit: a partition resumes after its replayed batch
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}
        if self._paused:
            consumer.pause(partitions)  # joined mid-retry: stay paused with the rest
        self.assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Land and commit what we hold before another consumer takes these partitions. Mid-flush
        # (a retry loop polling) the parts are left uncommitted: the new owner replays them from
        # the recorded plan, with the same tokens.
        if not self._flushing:
            self._in_rebalance = True
            try:
                self.flush()
            except SinkError as exc:
                log.warning("could not flush before giving up partitions: %s", exc)
            finally:
                self._in_rebalance = False
        gone = {(tp.topic, tp.partition) for tp in partitions}
        self._assigned -= gone
        for tp in gone:
            self._batcher.revoke(tp)
        self._held = [m for m in self._held if (m.topic(), m.partition()) not in gone]

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        self._consumer.subscribe(
            [self._topic], on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke
        )
        try:
            while not stop.is_set():
                self._consume_once()
                if self._inflight is not None and self._inflight[1].done():
                    self._finish_inflight()
                if self._replays or self._batcher.due(self._max_rows, self._max_seconds):
                    self.flush(wait=False)  # a recorded batch to land again is always due
            self.flush()
        finally:
            self._pool.shutdown(wait=True)
            self._consumer.close()
            self._dlq.close()

    def _consume_once(self) -> None:
        # Never block longer than _POLL_S: a stop request or a finished insert is noticed promptly.
        age = self._batcher.age()
        wait = min(max(0.05, self._max_seconds - age if age else self._max_seconds), _POLL_S)
        room = max(100, self._max_rows - self._batcher.messages)
        self._take(self._consumer.consume(num_messages=room, timeout=wait))

    def _take(self, msgs: list[Message]) -> None:
        for msg in msgs:
            err = msg.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error: %s", err)
                continue
            if (msg.topic(), msg.partition()) not in self._assigned:
                continue  # fetched before its partition was revoked: its new owner reads it
            try:
                self._batcher.take(msg)
            except OffsetsWentBack as exc:
                raise SinkError(f"partition {msg.partition()} went back: {exc}; restart to rebuild") from exc

    def flush(self, wait: bool = True) -> None:
        """Hand the batch cut now to the insert thread, after finishing the one in flight.

        The insert of batch k runs (chDB and the network release the GIL) while batch k+1 is
        consumed and decoded; batch k is committed before batch k+1 is planned and handed over,
        so plans and commits stay in offset order. Batches recorded by a partition's last owner
        land before anything new. `wait=True` (shutdown, rebalance) also finishes the batch handed
        over.
        """
        self._finish_inflight()
        self._land_replays()
        parts = self._batcher.cut()
        if parts:
            planned = self._planned(parts)
            if planned:
                self._inflight = (planned, self._pool.submit(self._land, planned))
        if wait:
            self._finish_inflight()

    def _planned(self, parts: list[Part]) -> list[Batch]:
        """Record the batches' plans in Kafka (retrying); the batches of partitions still held."""
        self._flushing = True
        try:
            return self._retrying(lambda: self._record_plans(parts))
        finally:
            self._flushing = False

    def _record_plans(self, parts: list[Part]) -> list[Batch]:
        live = [p for p in parts if (p.topic, p.partition) in self._assigned]
        if len(live) < len(parts):
            log.info("left %d part(s) of partitions given up to their new owner", len(parts) - len(live))
        planned = batches(live)
        commits.record_plans(self._consumer, planned)
        return planned

    def _land_replays(self) -> None:
        """Land the batches the last owners recorded and did not commit, then commit past them."""
        while self._replays:
            batch = self._replays[0]
            self._flushing = True
            try:
                dead = self._retrying(lambda b=batch: self._land([b]))  # type: ignore[misc]
                self._dlq.send(dead)
                commits.commit_past(self._consumer, [batch], self._assigned)
            finally:
                self._flushing = False
            self._replays.pop(0)
            log.info(
                "landed the recorded batch %s again (a replay; ClickHouse keeps one copy)",
                batch.plan.encode(),
            )

    def _finish_inflight(self) -> None:
        """Wait for the batches in flight; retry them here on transient errors; DLQ; commit."""
        if self._inflight is None:
            return
        planned, future = self._inflight
        self._flushing = True
        try:
            try:
                dead = future.result()
            except TransientInsertError:
                dead = self._retrying(lambda: self._land(planned))
            messages = sum(b.messages for b in planned)
            self._guard.check(messages, len(dead))
            self._dlq.send(dead)
            commits.commit_past(self._consumer, planned, self._assigned)
        finally:
            self._flushing = False
            self._inflight = None
        SINK_BATCH_ROWS.observe(messages)
        parts = [p for b in planned for p in b.parts]
        duplicates = sum(p.duplicates for p in parts)
        if duplicates:
            SINK_DUPLICATES.inc(duplicates)
            log.info(
                "dropped %d upstream duplicate(s), the farthest %d offsets after its copy",
                duplicates,
                max(p.farthest_duplicate for p in parts),
            )

    def _land(self, planned: list[Batch]) -> list[DeadLetter]:
        """Insert every batch, in order, into every table; the dead letters of all of them."""
        dead: list[DeadLetter] = []
        for batch in planned:
            letters = land_batch(batch, self._writers)
            refused = len(letters) - len(batch.dead)
            if refused:
                SINK_ERRORS.labels("data").inc()
                log.warning(
                    "ClickHouse refused %d of %d rows; sending them to the DLQ", refused, len(batch.events)
                )
            dead += letters
        return dead

    def _retrying(self, attempt: Callable[[], T]) -> T:
        delay = 0.2
        try:
            while True:
                try:
                    return attempt()
                except TransientError as exc:
                    SINK_ERRORS.labels("transient").inc()
                    log.warning("%s; pausing, retry in %.1fs", exc, delay)
                    self._pause()
                    self._wait(delay)
                    delay = min(delay * 2, self._backoff_max_s)
        finally:
            self._resume()
            held, self._held = self._held, []
            self._take(held)

    def _wait(self, seconds: float) -> None:
        """Sleep while serving the group protocol: consume() on paused partitions returns nothing."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._stop.is_set():
                raise Stopping("stopped while a batch could not be written; it will be replayed")
            if self._in_rebalance:  # no consume() inside a rebalance callback
                time.sleep(min(0.5, seconds))
                continue
            self._held += self._consumer.consume(num_messages=100, timeout=min(0.5, seconds))

    def _pause(self) -> None:
        if not self._paused:
            self._consumer.pause(self._consumer.assignment())
            self._paused = True

    def _resume(self) -> None:
        if self._paused:
            self._consumer.resume(self._consumer.assignment())
            self._paused = False
