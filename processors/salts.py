"""Daily visitor salts: random, one per UTC day, shared by every worker, gone after 48 hours.

Design. Salts live on a single-partition Kafka topic (`<app id>-salts`, delete policy,
`retention.ms` = 48 h, `segment.ms` = 1 h): key = the UTC day (`2026-11-23`), value = 32 random
bytes sealed with AES-GCM under a key derived from the deployment secret (so the topic alone
reveals nothing, and the salt is still not derivable from the secret). A worker that needs the
salt for day D reads the topic; if D is missing it proposes a random salt and reads again. With
one partition every reader sees the same order, and the **first record for D wins**, so all
workers agree even when several propose at once. Kafka deletes the records 48–49 h after they
were written; workers forget a salt at 00:00 UTC two days after its day began (`live_days`), and
never create one for a day that is no longer live, so old visitor keys cannot be recomputed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common import kafka
from common.crypto import derive_key
from common.settings import SharedSettings

log = logging.getLogger("hitstream.processors.salts")
SALT_BYTES = 32
RETENTION = timedelta(hours=48)
_AAD = b"hitstream-salt"


def live_days(now: datetime) -> frozenset[date]:
    """Days whose salt may exist at `now`: today and yesterday (UTC)."""
    today = now.astimezone(UTC).date()
    return frozenset({today, today - timedelta(days=1)})


def first_writer_wins(
    records: Iterable[tuple[str, bytes | None]], seed: dict[str, bytes]
) -> dict[str, bytes]:
    """Fold records (in offset order) into day → sealed salt: the first value per day is kept."""
    out = dict(seed)
    for day, value in records:
        if value is None:
            out.pop(day, None)
        else:
            out.setdefault(day, value)
    return out


def topic_spec(name: str, replication: int) -> NewTopic:
    return NewTopic(
        name,
        1,
        replication,
        config={
            "cleanup.policy": "delete",
            "retention.ms": str(int(RETENTION.total_seconds() * 1000)),
            "segment.ms": str(3600 * 1000),
        },
    )


class SaltError(RuntimeError):
    """The salt topic could not be read or written."""


class KafkaSaltStore:
    """Salts per day from the shared topic; blocking, so call it off the event loop on a miss."""

    def __init__(
        self,
        shared: SharedSettings,
        topic: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._shared, self._topic, self._clock = shared, topic, clock
        self._aead = AESGCM(derive_key(shared.secret, "hitstream/salt-wrap/v1"))
        self._sealed: dict[str, bytes] = {}
        self._salts: dict[date, bytes] = {}
        self._offset = 0

    def cached(self, day: date) -> bytes | None:
        return self._salts.get(day)

    def salt_for(self, day: date) -> bytes | None:
        """The salt of `day`, creating it if this is the first worker to need it; None if expired."""
        live = live_days(self._clock())
        self._salts = {d: s for d, s in self._salts.items() if d in live}
        if day not in live:
            return None
        if day not in self._salts:
            self._refresh()
            if day.isoformat() not in self._sealed:
                self._propose(day)
                self._refresh()
            self._salts[day] = self._open(self._sealed[day.isoformat()])
        return self._salts[day]

    def _open(self, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], _AAD)
        except (InvalidTag, ValueError) as exc:
            raise SaltError("a salt on the salt topic was not sealed with this deployment's secret") from exc

    def _propose(self, day: date) -> None:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, os.urandom(SALT_BYTES), _AAD)
        producer = kafka.producer(self._shared, "hitstream-salts")
        producer.produce(self._topic, key=day.isoformat().encode(), value=sealed, partition=0)
        if producer.flush(30) != 0:
            raise SaltError("Kafka did not acknowledge a new salt")
        log.info("proposed the visitor salt for %s", day.isoformat())

    def _refresh(self) -> None:
        consumer: Consumer = kafka.consumer(
            self._shared, "hitstream-salts", "unused", **{"enable.partition.eof": True}
        )
        try:
            low, high = consumer.get_watermark_offsets(TopicPartition(self._topic, 0), timeout=30)
            start = max(self._offset, low)
            if start >= high:
                return
            consumer.assign([TopicPartition(self._topic, 0, start)])
            self._sealed = first_writer_wins(self._read(consumer, high), self._sealed)
            self._offset = high
        finally:
            consumer.close()

    def _read(self, consumer: Consumer, high: int) -> Iterable[tuple[str, bytes | None]]:
        while True:
            msg = consumer.poll(10)
            if msg is None:
                raise SaltError("timed out reading the salt topic")
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    return
                raise SaltError(f"reading the salt topic failed: {err}")
            yield (msg.key() or b"").decode(), msg.value()
            if (msg.offset() or 0) >= high - 1:
                return
