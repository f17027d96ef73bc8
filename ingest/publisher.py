"""Publishing canonical events to the raw topic, answering only once Kafka acknowledged them.

confluent-kafka's producer is synchronous and reports deliveries through `poll()`. The event loop
itself polls, without blocking: after each produce and on a short timer while acknowledgements
are pending, so delivery callbacks run on the loop's thread and resolve their request's future
directly (no thread hand-off or lock contention per message; measured faster than a polling
thread, docs/ingest.md). `message.timeout.ms` equals the publish timeout, so librdkafka itself
fails a message it could not deliver in time: a 503 means not written, and a 2xx means written
with `acks=all` by the idempotent producer.
"""

from __future__ import annotations

import asyncio
import threading

from confluent_kafka import KafkaError, KafkaException, Message

from common import kafka
from common.metrics import INGEST_PRODUCER_QUEUE
from common.settings import SharedSettings
from ingest.errors import Unavailable

RETRY_AFTER_S = 5
TICK_S = 0.001  # poll cadence while acknowledgements are pending


class Publisher:
    def __init__(
        self,
        shared: SharedSettings,
        topic: str,
        *,
        timeout_s: float,
        queue_max_messages: int,
        linger_ms: int,
    ) -> None:
        self._topic = topic
        self._timeout_s = timeout_s
        self._producer = kafka.producer(
            shared,
            "hitstream-ingest",
            **{
                "linger.ms": linger_ms,
                "compression.type": "lz4",
                "message.timeout.ms": int(timeout_s * 1000),
                "queue.buffering.max.messages": queue_max_messages,
                # The Java/aiokafka partitioner, so faust (aiokafka) maps a key to the same
                # partition as ingest did; processors' table routing depends on it.
                "partitioner": "murmur2_random",
            },
        )
        self._pending = 0
        INGEST_PRODUCER_QUEUE.set_function(lambda: len(self._producer))
        self._ticking: set[asyncio.AbstractEventLoop] = set()

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._producer.poll(0)
        if self._pending > 0:
            loop.call_later(TICK_S, self._tick, loop)
        else:
            self._ticking.discard(loop)

    async def publish(self, key: bytes, value: bytes) -> None:
        """Resolve when Kafka acknowledged the message; raise `Unavailable` otherwise."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        owner = threading.get_ident()

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            self._pending -= 1
            if threading.get_ident() == owner:
                _settle(fut, err)
            else:  # flush() at shutdown runs callbacks on its own thread
                loop.call_soon_threadsafe(_settle, fut, err)

        try:
            self._producer.produce(self._topic, value=value, key=key, on_delivery=on_delivery)
        except BufferError as exc:
            raise _unavailable("the event queue is full") from exc
        except KafkaException as exc:
            raise _unavailable(f"Kafka refused the event: {exc}") from exc
        self._pending += 1
        if loop not in self._ticking:
            self._ticking.add(loop)
            loop.call_later(TICK_S, self._tick, loop)
        # librdkafka reports within message.timeout.ms; the timer is a backstop with a margin
        # (cheaper than wait_for, which wraps every request in a task).
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
        """Flush what is queued (delivery callbacks run here); returns how many were left unsent."""
        remaining: int = self._producer.flush(timeout_s)
        return remaining


def _settle(fut: asyncio.Future[None], err: KafkaError | None) -> None:
    if fut.done():
        return
    if err is None:
        fut.set_result(None)
    else:
        fut.set_exception(_unavailable(f"Kafka did not accept the event: {err.str()}"))


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(_unavailable("Kafka did not acknowledge the event in time"))


def _unavailable(message: str) -> Unavailable:
    return Unavailable(message, headers=[("retry-after", str(RETRY_AFTER_S))])
