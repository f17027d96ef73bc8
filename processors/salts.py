"""Daily visitor salts: random, one per UTC day, shared by every worker, gone 48 hours after they
were made.

Design. Salts live on a single-partition Kafka topic (`<app id>-salts`, delete policy,
`retention.ms` = 48 h, `segment.ms` = 1 h): key = the UTC day (`2026-11-23`), value = the time it
was made and 32 random bytes, sealed with AES-GCM under a key derived from the deployment secret
(so the topic alone reveals nothing, and the salt is still not derivable from the secret). A
worker that needs the salt for day D reads the topic; if D has no live salt it proposes a random
one and reads again. With one partition every reader sees the same order, and the **first live
record for D wins** (a record for D made after the previous one's 48 hours were over replaces
it), so all workers agree even when several propose at once.

Destruction: a salt lives `RETENTION` (48 h) from when it was made. Workers forget it then, and
Kafka deletes its record 48–49 h after it was written; from then on nobody can recompute that
salt's visitor keys from an IP. Live traffic makes day D's salt early on D, so it serves D and
the late events of D+1. An event of an older day (a backfill, a replay) gets a fresh salt for its
day, made then and destroyed 48 h later: its visitors are counted consistently within the
backfill, but never joined to the keys that day's live traffic had.
"""

from __future__ import annotations

import logging
import os
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
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
_MADE = struct.Struct(">d")  # seconds since the epoch, sealed with the salt


@dataclass(frozen=True, slots=True)
class Record:
    """One record of the salt topic, opened: the salt and when it was made."""

    salt: bytes
    made: float

    def alive(self, at: float) -> bool:
        return at - self.made < RETENTION.total_seconds()


def first_live_wins(
    records: Iterable[tuple[str, Record | None]], seed: dict[str, Record]
) -> dict[str, Record]:
    """Fold records (in offset order) into day → salt record: the first record of a day is kept
    until its 48 hours are over at the time a later record of that day was made."""
    out = dict(seed)
    for day, record in records:
        if record is None:
            out.pop(day, None)
            continue
        kept = out.get(day)
        if kept is None or not kept.alive(record.made):
            out[day] = record
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
        self._records: dict[str, Record] = {}
        self._offset = 0

    def _now(self) -> float:
        return self._clock().timestamp()

    def cached(self, day: date) -> bytes | None:
        record = self._records.get(day.isoformat())
        return record.salt if record is not None and record.alive(self._now()) else None

    def salt_for(self, day: date) -> bytes:
        """The salt of `day`, made now if no live one exists yet."""
        now = self._now()
        self._records = {d: r for d, r in self._records.items() if r.alive(now)}
        if day.isoformat() not in self._records:
            self._refresh()
            if not self._live(day, now):
                self._propose(day, now)
                self._refresh()
            if not self._live(day, now):
                raise SaltError(f"no live salt for {day.isoformat()} after proposing one")
        return self._records[day.isoformat()].salt

    def _live(self, day: date, now: float) -> bool:
        record = self._records.get(day.isoformat())
        return record is not None and record.alive(now)

    def _seal(self, record: Record) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, _MADE.pack(record.made) + record.salt, _AAD)

    def _open(self, sealed: bytes, written: float) -> Record:
        try:
            plain = self._aead.decrypt(sealed[:12], sealed[12:], _AAD)
        except (InvalidTag, ValueError) as exc:
            raise SaltError("a salt on the salt topic was not sealed with this deployment's secret") from exc
        if len(plain) == SALT_BYTES:  # written before salts carried their time: Kafka's timestamp
            return Record(plain, written)
        return Record(plain[_MADE.size :], _MADE.unpack(plain[: _MADE.size])[0])

    def _propose(self, day: date, now: float) -> None:
        producer = kafka.producer(self._shared, "hitstream-salts")
        sealed = self._seal(Record(os.urandom(SALT_BYTES), now))
        producer.produce(self._topic, key=day.isoformat().encode(), value=sealed, partition=0)
        if producer.flush(30) != 0:
            raise SaltError("Kafka did not acknowledge a new salt")
        log.info("proposed the visitor salt for %s", day.isoformat())

    def _refresh(self) -> None:
        consumer: Consumer = kafka.consumer(
            self._shared, "hitstream-salts", "unused", **{"enable.partition.eof": True}
        )
        try:
            low, high = _watermarks(consumer, TopicPartition(self._topic, 0))
            start = max(self._offset, low)
            if start >= high:
                return
            consumer.assign([TopicPartition(self._topic, 0, start)])
            self._records = first_live_wins(self._read(consumer, high), self._records)
            self._offset = high
        except KafkaException as exc:  # the caller retries: events wait, they are never dropped
            raise SaltError(f"reading the salt topic failed: {exc}") from exc
        finally:
            consumer.close()

    def _read(self, consumer: Consumer, high: int) -> Iterable[tuple[str, Record | None]]:
        while True:
            msg = consumer.poll(10)
            if msg is None:
                raise SaltError("timed out reading the salt topic")
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    return
                raise SaltError(f"reading the salt topic failed: {err}")
            value = msg.value()
            written = msg.timestamp()[1] / 1000
            yield (msg.key() or b"").decode(), self._open(value, written) if value is not None else None
            if (msg.offset() or 0) >= high - 1:
                return


# A topic created a moment ago (the first worker of a deployment makes it) may not be known to
# the broker that answers yet: these clear within seconds, so they are retried, not fatal.
_NOT_YET = {KafkaError._UNKNOWN_PARTITION, KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.LEADER_NOT_AVAILABLE}


def _watermarks(consumer: Consumer, tp: TopicPartition, attempts: int = 20) -> tuple[int, int]:
    for attempt in range(attempts):
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=30)
            return int(low), int(high)
        except KafkaException as exc:
            if exc.args[0].code() not in _NOT_YET or attempt == attempts - 1:
                raise
            time.sleep(0.25)
    raise AssertionError("unreachable")
