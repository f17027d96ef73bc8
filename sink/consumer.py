"""The sink loop: consume a batch, decode it, insert it, then commit its offsets.

Offsets are committed only after ClickHouse accepted the batch, and the batch's dedup token is
derived from its offsets: a crash between insert and commit replays the same offsets, which
ClickHouse drops. Undecodable messages go to the DLQ with a reason instead of stopping the sink.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from pydantic import ValidationError

from schemas.events import EnrichedEvent
from sink.rows import to_row
from sink.writer import EventWriter, dedup_token

log = logging.getLogger("hitstream.sink")


@dataclass
class Batch:
    rows: list[list[Any]] = field(default_factory=list)
    ranges: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def add_offset(self, msg: Message) -> None:
        key = (msg.topic(), msg.partition())
        off = msg.offset()
        lo, _ = self.ranges.get(key, (off, off))
        self.ranges[key] = (lo, off)

    def commit_offsets(self) -> list[TopicPartition]:
        return [TopicPartition(t, p, hi + 1) for (t, p), (_, hi) in self.ranges.items()]


class SinkConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topic: str,
        group_id: str,
        dlq_topic: str,
        writer: EventWriter,
        max_rows: int,
        max_seconds: float,
    ) -> None:
        self._topic = topic
        self._dlq_topic = dlq_topic
        self._writer = writer
        self._max_rows = max_rows
        self._max_seconds = max_seconds
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": "cooperative-sticky",
                "client.id": "hitstream-sink",
            }
        )
        self._dlq = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True})
        self._batch = Batch()
        self.assigned = threading.Event()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assigned.set()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Write and commit what we hold before another consumer takes these partitions.
        self.flush()

    def run(self, stop: threading.Event) -> None:
        self._consumer.subscribe([self._topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        try:
            while not stop.is_set():
                wait = max(0.05, self._max_seconds - (time.monotonic() - self._batch.started))
                msgs = self._consumer.consume(num_messages=self._max_rows - len(self._batch.rows), timeout=wait)
                for msg in msgs:
                    self._take(msg)
                if len(self._batch.rows) >= self._max_rows or (
                    self._batch.ranges and time.monotonic() - self._batch.started >= self._max_seconds
                ):
                    self.flush()
            self.flush()
        finally:
            self._consumer.close()
            self._dlq.flush(10)

    def _take(self, msg: Message) -> None:
        err = msg.error()
        if err is not None:
            if err.code() != KafkaError._PARTITION_EOF:
                log.warning("consumer error: %s", err)
            return
        if not self._batch.ranges:
            self._batch.started = time.monotonic()
        self._batch.add_offset(msg)
        try:
            event = EnrichedEvent.model_validate_json(msg.value() or b"")
        except ValidationError as exc:
            self._dead_letter(msg, f"undecodable enriched event: {exc.errors()[0]['msg']}")
            return
        self._batch.rows.append(to_row(event, msg.partition(), msg.offset()))

    def _dead_letter(self, msg: Message, reason: str) -> None:
        self._dlq.produce(
            self._dlq_topic,
            key=msg.key(),
            value=msg.value(),
            headers=[
                ("reason", reason.encode()),
                ("stage", b"sink"),
                ("source", f"{msg.topic()}:{msg.partition()}:{msg.offset()}".encode()),
            ],
        )
        self._dlq.poll(0)

    def flush(self) -> None:
        batch = self._batch
        if not batch.ranges:
            return
        self._writer.insert(batch.rows, dedup_token(batch.ranges))
        self._dlq.flush(10)
        self._consumer.commit(offsets=batch.commit_offsets(), asynchronous=False)
        log.debug("stored %d rows", len(batch.rows))
        self._batch = Batch()
