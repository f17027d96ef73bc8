"""What the hot path writes to Kafka, produced per batch and confirmed before anything is acked.

One confluent-kafka producer (librdkafka: batching, compression and the murmur2 partitioner in
C, idempotent, `acks=all`) for the enriched topic, the DLQ and the `sessions` changelog. `send`
produces a batch's records and returns once Kafka acknowledged every one of them, or raises
`OutputError`: the caller then acks nothing, so the batch's offsets never become committable
and a restarted worker processes it again (no loss; duplicates are dropped by the sink).
librdkafka already retries a failed send until `message.timeout.ms`; a failure that outlasts it
means Kafka has been unreachable for that long, and stopping the worker is the honest answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import KafkaError, Message, Producer

from common import kafka
from common.settings import SharedSettings

FLUSH_WAIT_S = 10.0
log = logging.getLogger("hitstream.processors")


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    partition: int | None = None  # None: by key (murmur2, as ingest and faust partition)
    headers: list[tuple[str, str | bytes | None]] | None = None


class OutputError(RuntimeError):
    """Kafka did not acknowledge every record of a batch."""


class Output:
    def __init__(self, shared: SharedSettings, client_id: str) -> None:
        self._producer: Producer = kafka.producer(
            shared,
            client_id,
            **{
                "linger.ms": 2,
                "compression.type": "lz4",
                "partitioner": "murmur2_random",
                "queue.buffering.max.messages": 1_000_000,
                "on_delivery": self._delivered,
            },
        )
        self._errors: list[KafkaError] = []
        self._offsets: dict[tuple[str, int], int] = {}

    def _delivered(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._errors.append(err)
            return
        tp = (msg.topic() or "", msg.partition() or 0)
        offset = msg.offset() or 0
        if offset > self._offsets.get(tp, -1):
            self._offsets[tp] = offset

    async def send(self, records: Sequence[Record]) -> dict[tuple[str, int], int]:
        """Produce and wait for every acknowledgement; the highest offset per (topic, partition)."""
        self._errors, self._offsets = [], {}
        produce = self._producer.produce
        for r in records:
            while True:
                try:
                    if r.partition is None:
                        produce(r.topic, r.value, r.key, headers=r.headers)
                    else:
                        produce(r.topic, r.value, r.key, r.partition, headers=r.headers)
                    break
                except BufferError:  # the local queue is full: let librdkafka drain it
                    await asyncio.to_thread(self._producer.poll, 0.1)
        # Kafka may be away for a while (a broker restart): wait, holding the batch, until every
        # record is acknowledged or librdkafka gives one up (message.timeout.ms).
        while await asyncio.to_thread(self._producer.flush, FLUSH_WAIT_S) and not self._errors:
            log.warning("waiting for Kafka to acknowledge a batch's records")
        if self._errors:
            raise OutputError(f"Kafka did not acknowledge a batch's records: {self._errors[0].str()}")
        return self._offsets

    def close(self) -> None:
        self._producer.flush(10)
