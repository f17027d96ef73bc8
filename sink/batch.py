"""Cutting the consumed stream into parts: one partition's messages from `first` to `last`, landed
as one insert per table. Pure: tested without Kafka or ClickHouse.

`decode` turns one message value into a row for `events`, a row for `filtered_hits`, or a reason
to dead-letter it. A `Part` holds what one partition contributes to a batch; its range names its
deduplication token. `Batcher` routes each message to its partition's part: into the part of a
recorded plan while the partition is replaying one (`sink.plan`), else into the partition's open
part. Every message passes the partition's `DedupWindow` in offset order, and an upstream
duplicate is dropped there (counted, its offset still covered by the part).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from schemas.events import EnrichedEvent
from sink.dedup import REPLAYED, DedupWindow, Headers, is_replayed, key_of_value
from sink.dlq import DeadLetter
from sink.plan import Range
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
    planned: bool = False  # cut by a recorded plan: it ends exactly at `last`
    reached: int = -1  # the highest offset taken so far
    events: list[Record] = field(default_factory=list)
    event_sources: list[Source] = field(default_factory=list)
    filtered: list[Record] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    duplicates: int = 0
    farthest_duplicate: int = 0  # offsets between a dropped duplicate and the copy before it
    messages: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def complete(self) -> bool:
        return not self.planned or self.reached >= self.last

    @property
    def range(self) -> Range:
        return Range(self.first, self.last)

    @property
    def token(self) -> str:
        """What its inserts' deduplication tokens are made of: the partition and its range."""
        return f"{self.topic}:{self.partition}:{self.first}-{self.last}"

    def take(self, msg: MessageLike, offset: int, window: DedupWindow) -> None:
        src = Source(self.topic, self.partition, offset, msg.key(), msg.value())
        self.messages += 1
        self.reached = offset
        if not self.planned:
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


class Batcher:
    """The parts being filled, per assigned partition, and the plans still to honour."""

    def __init__(self, window_offsets: int) -> None:
        self._window_offsets = window_offsets
        self._parts: dict[TP, list[Part]] = {}
        self._plans: dict[TP, deque[Range]] = {}
        self._windows: dict[TP, DedupWindow] = {}

    def assign(self, tp: TP, plan: list[Range], window: DedupWindow | None = None) -> None:
        """Start a partition: replay `plan` first; `window` holds the offsets before it."""
        self._parts[tp] = []
        self._plans[tp] = deque(plan)
        self._windows[tp] = window if window is not None else DedupWindow(self._window_offsets)

    def revoke(self, tp: TP) -> None:
        """Forget a partition and whatever was taken from it and not cut."""
        self._parts.pop(tp, None)
        self._plans.pop(tp, None)
        self._windows.pop(tp, None)

    def take(self, msg: MessageLike) -> None:
        tp = (msg.topic() or "", msg.partition() or 0)
        offset = msg.offset() or 0
        if tp not in self._windows:
            raise KeyError(f"partition {tp} is not assigned")
        self._part_for(tp, offset).take(msg, offset, self._windows[tp])

    def _part_for(self, tp: TP, offset: int) -> Part:
        parts, plan = self._parts[tp], self._plans[tp]
        while plan and offset > plan[0].last:  # the planned range is over (its last offset may not exist)
            if parts and parts[-1].planned and parts[-1].range == plan[0]:
                parts[-1].reached = plan[0].last
            plan.popleft()
        if plan:
            if not (parts and parts[-1].planned and parts[-1].range == plan[0]):
                parts.append(Part(tp[0], tp[1], plan[0].first, plan[0].last, planned=True))
            if offset >= plan[0].last:
                plan.popleft()
            return parts[-1]
        if not parts or parts[-1].planned:
            parts.append(Part(tp[0], tp[1], offset, offset))
        return parts[-1]

    def cut(self) -> list[Part]:
        """Take out every part that can land now: per partition, the complete ones in order."""
        out: list[Part] = []
        for tp in sorted(self._parts):
            parts = self._parts[tp]
            n = 0
            while n < len(parts) and parts[n].complete:
                n += 1
            out += parts[:n]
            del parts[:n]
        return out

    @property
    def messages(self) -> int:
        return sum(p.messages for parts in self._parts.values() for p in parts)

    def _landable(self) -> list[Part]:
        return [p for parts in self._parts.values() for p in parts if p.messages and p.complete]

    def age(self) -> float:
        """Seconds since the oldest message that could land now was taken (0: none)."""
        parts = self._landable()
        return time.monotonic() - min(p.started for p in parts) if parts else 0.0

    def due(self, max_rows: int, max_seconds: float) -> bool:
        """Whether to cut now: enough messages could land, or the oldest has waited long enough.
        A part still replaying a plan waits for the plan's last offset; it never makes a batch due."""
        parts = self._landable()
        return bool(parts) and (sum(p.messages for p in parts) >= max_rows or self.age() >= max_seconds)
