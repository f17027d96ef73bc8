"""The sink loop: consume a batch, decode it, land it in ClickHouse, dead-letter the rest, commit.

Stages, each with one contract:
  consume  → `Batch.take` decodes every message into a row per table or a dead letter;
  flush    → `land` inserts each table's rows once (bisecting on data errors) on an insert
             thread while the next batch is consumed; transient errors are retried with backoff
             while consumption is paused (polling continues, so the consumer stays in its group);
  guard    → `SpikeGuard` stops the sink before a DLQ spike is produced or committed;
  dead     → dead letters produced and acknowledged;
  commit   → offsets committed synchronously, only now.
A crash anywhere before the commit replays the batch; its dedup token (from its offsets) makes
ClickHouse drop what it already has, and every aggregate is immune to duplicates anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from common import kafka
from common.metrics import CONSUMER_LAG, SINK_BATCH_ROWS, SINK_ERRORS
from common.settings import SharedSettings
from sink.batch import Batch
from sink.dlq import DeadLetter, DeadLetterProducer, SpikeGuard
from sink.errors import DataInsertError, SinkError, TransientInsertError
from sink.writer import EVENTS, FILTERED, TableWriter, dedup_token, land

log = logging.getLogger("hitstream.sink")
T = TypeVar("T")
_POLL_S = 0.5


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
    ) -> None:
        self._topic = topic
        self._writers = writers
        self._dlq = dlq
        self._guard = guard
        self._max_rows = max_rows
        self._max_seconds = max_seconds
        self._backoff_max_s = backoff_max_s
        self._consumer: Consumer = kafka.consumer(
            shared,
            "hitstream-sink",
            group_id,
            **{"auto.offset.reset": "earliest", "partition.assignment.strategy": "cooperative-sticky"},
        )
        self._batch = Batch()
        self._assigned: set[tuple[str, int]] = set()
        self._paused = False
        self._flushing = False
        self._in_rebalance = False
        self._held: list[Message] = []  # delivered while paused (a partition assigned mid-retry)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sink-insert")
        self._inflight: tuple[Batch, Future[list[DeadLetter]]] | None = None
        self._stop = threading.Event()
        self.assigned = threading.Event()

    @property
    def ready(self) -> bool:
        """Assigned at least one partition and not stuck retrying ClickHouse."""
        return bool(self._assigned) and not self._paused

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}
        if self._paused and partitions:
            consumer.pause(partitions)  # joined mid-retry: stay paused with the rest
        if self._assigned:
            self.assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Write and commit what we hold before another consumer takes these partitions. Mid-flush
        # (a retry loop polling) the batch is left uncommitted: the new owner replays it.
        if not self._flushing:
            self._in_rebalance = True
            try:
                self.flush()
            except SinkError as exc:
                log.warning("could not flush before giving up partitions: %s", exc)
            finally:
                self._in_rebalance = False
        self._assigned -= {(tp.topic, tp.partition) for tp in partitions}

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
                if self._batch.messages >= self._max_rows or (
                    self._batch.messages and self._batch.age() >= self._max_seconds
                ):
                    self.flush(wait=False)
            self.flush()
        finally:
            self._pool.shutdown(wait=True)
            self._consumer.close()
            self._dlq.close()

    def _consume_once(self) -> None:
        # Never block longer than _POLL_S: a stop request or a finished insert is noticed promptly.
        wait = self._max_seconds - self._batch.age() if self._batch.messages else self._max_seconds
        wait = min(max(0.05, wait), _POLL_S)
        self._take(self._consumer.consume(num_messages=self._max_rows - self._batch.messages, timeout=wait))

    def _take(self, msgs: list[Message]) -> None:
        for msg in msgs:
            err = msg.error()
            if err is None:
                self._batch.take(msg)
            elif err.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer error: %s", err)

    def flush(self, wait: bool = True) -> None:
        """Hand the current batch to the insert thread, after finishing the one in flight.

        The insert of batch k runs (chDB and the network release the GIL) while batch k+1 is
        consumed and decoded; batch k is committed before batch k+1 is handed over, so commits
        stay in offset order. `wait=True` (shutdown, rebalance) also finishes the batch handed over.
        """
        self._finish_inflight()
        batch = self._batch
        if batch.messages:
            self._batch = Batch()
            self._inflight = (batch, self._pool.submit(self._land, batch))
        if wait:
            self._finish_inflight()

    def _finish_inflight(self) -> None:
        """Wait for the batch in flight; retry it here on transient errors; DLQ; commit."""
        if self._inflight is None:
            return
        batch, future = self._inflight
        self._flushing = True
        try:
            try:
                dead = future.result()
            except TransientInsertError:
                dead = self._retrying(lambda: self._land(batch))
            self._guard.check(batch.messages, len(dead))
            self._dlq.send(dead)
            self._commit(batch)
        finally:
            self._flushing = False
            self._inflight = None
        SINK_BATCH_ROWS.observe(batch.messages)
        held, self._held = self._held, []
        self._take(held)

    def _land(self, batch: Batch) -> list[DeadLetter]:
        """Insert every table's rows once (bisecting on data errors); the batch's dead letters."""
        token = dedup_token(batch.ranges)
        refused = land(batch.events, token, self._writers[EVENTS].insert)
        filtered_refused = land(batch.filtered, token, self._writers[FILTERED].insert)
        if filtered_refused:
            raise DataInsertError(f"filtered_hits refused rows: {filtered_refused[0][1]}")
        if refused:
            SINK_ERRORS.labels("data").inc()
            log.warning(
                "ClickHouse refused %d of %d rows; sending them to the DLQ", len(refused), len(batch.events)
            )
        letters = [batch.event_sources[i].letter(reason, "refused") for i, reason in refused]
        return batch.dead + letters

    def _retrying(self, attempt: Callable[[], T]) -> T:
        delay = 0.2
        try:
            while True:
                try:
                    return attempt()
                except TransientInsertError as exc:
                    SINK_ERRORS.labels("transient").inc()
                    log.warning("ClickHouse unavailable (%s); pausing, retry in %.1fs", exc, delay)
                    self._pause()
                    self._wait(delay)
                    delay = min(delay * 2, self._backoff_max_s)
        finally:
            self._resume()

    def _wait(self, seconds: float) -> None:
        """Sleep while serving the group protocol: consume() on paused partitions returns nothing."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._stop.is_set():
                raise Stopping("stopped while ClickHouse was unavailable; the batch will be replayed")
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

    def _commit(self, batch: Batch) -> None:
        offsets = [TopicPartition(t, p, o) for t, p, o in batch.commit_positions()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Partitions already moved to another consumer: it replays them, dedup drops them.
            log.warning("offset commit failed (%s); the batch will be replayed and deduplicated", exc)
            return
        for tp in offsets:
            self._record_lag(tp)

    def _record_lag(self, tp: TopicPartition) -> None:
        try:
            _, high = self._consumer.get_watermark_offsets(tp, cached=True)
        except KafkaException:
            return
        if high >= 0:
            CONSUMER_LAG.labels("sink", tp.topic, str(tp.partition)).set(max(high - tp.offset, 0))
