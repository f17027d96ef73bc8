"""Cutting the consumed stream into batches: pure, tested without Kafka or ClickHouse.

`decode` turns one message value into a row for `events`, a row for `filtered_hits`, or a reason
to dead-letter it. A `Part` holds one partition's messages from `first` to `last`; a `Batch` is
the parts cut together, landed as one insert per table whose token names every part's range
(`sink.plan`). `Batcher` routes each message to its partition's part; every message passes the
partition's `DedupWindow` in offset order, and an upstream duplicate is dropped there (counted,
its offset still covered by the part).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from schemas.events import EnrichedEvent
from sink.dedup import REPLAYED, DedupWindow, Headers, is_replayed, key_of_value
from sink.dlq import DeadLetter
from sink.plan import MAX_METADATA, Plan, Range
from sink.rows import Record, RowError, check

TP = tuple[str, int]


class MessageLike(Protocol):
    """The part of confluent_kafka.Message the batch reads (so tests can pass plain objects)."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> Headers: ...


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
class Part:
    """One partition's messages from `first` to `last` (both included), as rows per table."""

    topic: str
    partition: int
    first: int
    last: int
    events: list[Record] = field(default_factory=list)
    event_sources: list[Source] = field(default_factory=list)
    filtered: list[Record] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    duplicates: int = 0
    farthest_duplicate: int = 0  # offsets between a dropped duplicate and the copy before it
    messages: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def range(self) -> Range:
        return Range(self.first, self.last)

    def take(self, msg: MessageLike, offset: int, window: DedupWindow) -> None:
        src = Source(self.topic, self.partition, offset, msg.key(), msg.value())
        self.messages += 1
        self.last = offset
        replayed = is_replayed(msg.headers())
        try:
            table, record = decode(src.value or b"", src.partition, offset)
        except (ValidationError, RowError) as exc:
            if not self._duplicate(offset, window.seen(offset, key_of_value(src.value, replayed))):
                reason, kind = (
                    (_first_error(exc), "undecodable")
                    if isinstance(exc, ValidationError)
                    else (f"does not fit the events table: {exc}", "unmappable")
                )
                self.dead.append(src.letter(reason, kind))
            return
        key = record.event_id | REPLAYED if replayed else record.event_id
        if self._duplicate(offset, window.seen(offset, key)):
            return
        if table == "filtered":
            self.filtered.append(record)
        else:
            self.events.append(record)
            self.event_sources.append(src)

    def _duplicate(self, offset: int, earlier: int | None) -> bool:
        if earlier is None:
            return False
        self.duplicates += 1
        self.farthest_duplicate = max(self.farthest_duplicate, offset - earlier)
        return True


@dataclass
class Batch:
    """Parts of one topic cut together: one insert per table, one plan, one token."""

    parts: list[Part]

    @property
    def plan(self) -> Plan:
        return Plan.of(self.parts[0].topic, {p.partition: p.range for p in self.parts})

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.parts)

    @property
    def events(self) -> list[Record]:
        return [r for p in self.parts for r in p.events]

    @property
    def event_sources(self) -> list[Source]:
        return [s for p in self.parts for s in p.event_sources]

    @property
    def filtered(self) -> list[Record]:
        return [r for p in self.parts for r in p.filtered]

    @property
    def dead(self) -> list[DeadLetter]:
        return [d for p in self.parts for d in p.dead]


def batches(parts: list[Part], max_metadata: int = MAX_METADATA) -> list[Batch]:
    """The parts grouped into batches whose plans fit Kafka's offset metadata."""
    out: list[Batch] = []
    for part in sorted(parts, key=lambda p: (p.topic, p.partition)):
        last = out[-1] if out else None
        if last is not None and last.parts[0].topic == part.topic:
            grown = Batch([*last.parts, part])
            if len(grown.plan.encode()) <= max_metadata:
                out[-1] = grown
                continue
        out.append(Batch([part]))
    return out


class Batcher:
    """The part being filled for each assigned partition, and the partition's dedup window."""

    def __init__(self, window_offsets: int) -> None:
        self._window_offsets = window_offsets
        self._parts: dict[TP, Part] = {}
        self._windows: dict[TP, DedupWindow] = {}

    def assign(self, tp: TP, window: DedupWindow | None = None) -> None:
        """Start a partition; `window` holds the offsets before the first one it will take."""
        self._parts.pop(tp, None)
        self._windows[tp] = window if window is not None else DedupWindow(self._window_offsets)

    def revoke(self, tp: TP) -> None:
        """Forget a partition and whatever was taken from it and not cut."""
        self._parts.pop(tp, None)
        self._windows.pop(tp, None)

    def take(self, msg: MessageLike) -> None:
        tp = (msg.topic() or "", msg.partition() or 0)
        offset = msg.offset() or 0
        window = self._windows.get(tp)
        if window is None:
            raise KeyError(f"partition {tp} is not assigned")
        part = self._parts.get(tp)
        if part is None:
            part = self._parts[tp] = Part(tp[0], tp[1], offset, offset)
        part.take(msg, offset, window)

    def cut(self) -> list[Part]:
        """Take out every part taken so far, by partition."""
        parts = [self._parts[tp] for tp in sorted(self._parts)]
        self._parts = {}
        return parts

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self._parts.values())

    def age(self) -> float:
        """Seconds since the oldest message not yet cut was taken (0: none)."""
        if not self._parts:
            return 0.0
        return time.monotonic() - min(p.started for p in self._parts.values())

    def due(self, max_rows: int, max_seconds: float) -> bool:
        """Whether to cut now: enough messages taken, or the oldest has waited long enough."""
        return bool(self._parts) and (self.messages >= max_rows or self.age() >= max_seconds)
