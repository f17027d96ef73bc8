"""Publishing canonical events to the raw topic, answering only once Kafka acknowledged them.

confluent-kafka's producer is synchronous and reports deliveries through `poll()`; a daemon
thread polls and hands the delivery reports of each poll back to the event loop in one batch (one
loop wake-up per poll, not per message), so a request awaits its own acknowledgement without
blocking other requests. `message.timeout.ms` equals the publish timeout,
so librdkafka itself fails a message it could not deliver in time: a 503 means not written, and
a 2xx means written with `acks=all` by the idempotent producer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from ingest.errors import Unavailable

RETRY_AFTER_S = 5


class Publisher:
    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        *,
        timeout_s: float,
        queue_max_messages: int,
        linger_ms: int,
    ) -> None:
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": linger_ms,
                "compression.type": "lz4",
                "message.timeout.ms": int(timeout_s * 1000),
                "queue.buffering.max.messages": queue_max_messages,
                "client.id": "hitstream-ingest",
                # The Java/aiokafka partitioner, so faust (aiokafka) maps a key to the same
                # partition as ingest did; processors' table routing depends on it.
                "partitioner": "murmur2_random",
            }
        )
        self._stop = threading.Event()
        self._reports: list[tuple[asyncio.Future[None], KafkaError | None]] = []
        self._poller = threading.Thread(target=self._poll_loop, name="kafka-poll", daemon=True)
        self._poller.start()

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)  # delivery callbacks run here and fill self._reports
            if self._reports:
                batch, self._reports = self._reports, []
                _hand_back(batch)

    async def publish(self, key: bytes, value: bytes) -> None:
        """Resolve when Kafka acknowledged the message; raise `Unavailable` otherwise."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            self._reports.append((fut, err))  # poll thread only

        try:
            self._producer.produce(self._topic, value=value, key=key, on_delivery=on_delivery)
        except BufferError as exc:
            raise _unavailable("the event queue is full") from exc
        except KafkaException as exc:
            raise _unavailable(f"Kafka refused the event: {exc}") from exc
        # librdkafka reports within message.timeout.ms; the timer is a backstop with a margin for
        # poll latency (cheaper than wait_for, which wraps every request in a task).
        timer = loop.call_later(self._timeout_s + 2.0, _expire, fut)
        try:
            await fut
        finally:
            timer.cancel()

    def ready(self, timeout_s: float = 2.0) -> bool:
        """True when the broker answers a metadata request for the raw topic."""
        try:
            md = self._producer.list_topics(self._topic, timeout=timeout_s)
        except KafkaException:
            return False
        topic = md.topics.get(self._topic)
        return topic is not None and topic.error is None and bool(topic.partitions)

    def close(self, timeout_s: float = 10.0) -> int:
        """Flush what is queued, then stop polling; returns how many messages were left unsent."""
        self._stop.set()
        self._poller.join(timeout=1.0)
        remaining: int = self._producer.flush(timeout_s)  # runs the last delivery callbacks here
        if self._reports:
            batch, self._reports = self._reports, []
            _hand_back(batch)
        return remaining


def _hand_back(batch: list[tuple[asyncio.Future[None], KafkaError | None]]) -> None:
    """One thread-safe call per event loop for a whole poll's worth of reports."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], KafkaError | None]]] = {}
    for fut, err in batch:
        by_loop.setdefault(fut.get_loop(), []).append((fut, err))
    for loop, reports in by_loop.items():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_settle_all, reports)


def _settle_all(reports: list[tuple[asyncio.Future[None], KafkaError | None]]) -> None:
    for fut, err in reports:
        if fut.done():
            continue
        if err is None:
            fut.set_result(None)
        else:
            fut.set_exception(_unavailable(f"Kafka did not accept the event: {err.str()}"))


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(_unavailable("Kafka did not acknowledge the event in time"))


def _unavailable(message: str) -> Unavailable:
    return Unavailable(message, headers=[("retry-after", str(RETRY_AFTER_S))])


PublishFn = Callable[[bytes, bytes], Any]
