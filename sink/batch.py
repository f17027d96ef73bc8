"""One batch of consumed messages, decoded into rows per table: pure, tested without Kafka.

`decode` turns one message value into a row for `events`, a row for `filtered_hits`, or a reason
to dead-letter it. A batch also remembers, per partition, the first and last offset it holds:
the deduplication token and the offsets to commit both come from there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from schemas.events import EnrichedEvent
from sink.dlq import DeadLetter
from sink.rows import Record, RowError, check


class MessageLike(Protocol):
    """The part of confluent_kafka.Message the batch reads (so tests can pass plain objects)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...


@dataclass(frozen=True)
class Source:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    def letter(self, reason: str, kind: str) -> DeadLetter:
        return DeadLetter(self.topic, self.partition, self.offset, self.key, self.value, reason, kind)


def decode(value: bytes, partition: int, offset: int) -> tuple[str, Record]:
    """(table, record). Raises ValueError (pydantic's ValidationError or RowError) for a dead letter."""
    event = EnrichedEvent.model_validate_json(value)
    return ("filtered" if event.filtered_reason else "events"), check(event, partition, offset)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "message"
    return f"undecodable enriched event: {where}: {err['msg']}"


@dataclass
class Batch:
    events: list[Record] = field(default_factory=list)
    event_sources: list[Source] = field(default_factory=list)
    filtered: list[Record] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    ranges: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    messages: int = 0
    started: float = field(default_factory=time.monotonic)

    def take(self, msg: MessageLike) -> None:
        src = Source(msg.topic() or "", msg.partition() or 0, msg.offset() or 0, msg.key(), msg.value())
        if not self.messages:
            self.started = time.monotonic()
        self.messages += 1
        lo, _ = self.ranges.get((src.topic, src.partition), (src.offset, src.offset))
        self.ranges[(src.topic, src.partition)] = (lo, src.offset)
        try:
            table, record = decode(src.value or b"", src.partition, src.offset)
        except ValidationError as exc:
            self.dead.append(src.letter(_first_error(exc), "undecodable"))
            return
        except RowError as exc:
            self.dead.append(src.letter(f"does not fit the events table: {exc}", "unmappable"))
            return
        if table == "filtered":
            self.filtered.append(record)
        else:
            self.events.append(record)
            self.event_sources.append(src)

    def commit_positions(self) -> list[tuple[str, int, int]]:
        """(topic, partition, next offset to read) for each partition in the batch."""
        return [(t, p, hi + 1) for (t, p), (_, hi) in sorted(self.ranges.items())]

    def age(self) -> float:
        return time.monotonic() - self.started
