"""The processors' hot path as one pure function over a batch: raw messages and the keys' state in;
enriched events, dead letters and state changes out.

    decode(batch)                         → each message a canonical event, or a dead letter
    salt_days(decoded)                    → the UTC days whose visitor salt the batch needs
    process(decoded, states, rules)       → BatchResult(outputs, dead, changes, …)

No Kafka, no RocksDB, no clock: `processors.agent` wires it to the raw topic, the `sessions`
table and the output topics, and the tests run it alone. Within a batch, events are applied in
offset order per partition (the batch keeps the consumer's order), each key's state carried from
one event to the next, so a batch gives exactly the answers one event at a time would
(hypothesis-tested against the single-event path).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

import orjson
from pydantic import ValidationError

from processors import state
from processors.enrich import Enricher, PoisonEvent, needs_salt
from processors.rules import bots
from processors.rules.sessions import Limits
from processors.state import KeyState, Redelivered
from schemas.events import CanonicalEvent


@dataclass(frozen=True, slots=True)
class RawMessage:
    key: bytes | None
    value: bytes
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message: RawMessage
    reason: str


@dataclass(frozen=True, slots=True)
class Decoded:
    message: RawMessage
    event: CanonicalEvent

    @property
    def state_key(self) -> bytes:
        """The Kafka key (`site|visitor`), the key of the visitor's state."""
        return self.message.key or b""


@dataclass(frozen=True, slots=True)
class Output:
    key: bytes | None
    value: bytes  # the enriched event, JSON


@dataclass(frozen=True, slots=True)
class Rules:
    """What `process` needs besides the batch: the enricher, the limits, the batch's salts."""

    enricher: Enricher
    limits: Limits
    salts: Mapping[date, bytes] = field(default_factory=dict)


@dataclass
class BatchResult:
    outputs: list[Output] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    # (partition, key) → the key's state after the batch (the last write per key wins).
    changes: dict[tuple[int, bytes], KeyState] = field(default_factory=dict)
    redelivered: int = 0
    bots: Counter[str] = field(default_factory=Counter)
    # (site, key, partition, event time) of events in a session: for live visitors.
    live: list[tuple[str, bytes, int, float]] = field(default_factory=list)
    received: dict[int, float] = field(default_factory=dict)  # partition → latest arrival time


def decode(batch: Iterable[RawMessage]) -> list[Decoded | DeadLetter]:
    out: list[Decoded | DeadLetter] = []
    for message in batch:
        try:
            out.append(Decoded(message, CanonicalEvent.model_validate_json(message.value)))
        except ValidationError as exc:
            out.append(DeadLetter(message, f"invalid canonical event: {exc.errors()[0]['msg']}"))
    return out


def salt_days(decoded: Iterable[Decoded | DeadLetter]) -> set[date]:
    return {
        d.event.event_time.astimezone(UTC).date()
        for d in decoded
        if isinstance(d, Decoded) and needs_salt(d.event)
    }


def stateful_keys(decoded: Iterable[Decoded | DeadLetter]) -> set[tuple[int, bytes]]:
    """(partition, key) of every event that may read or write state (identified visitors)."""
    return {
        (d.message.partition, d.state_key)
        for d in decoded
        if isinstance(d, Decoded) and d.event.filtered_reason is None and _identified(d.event)
    }


def _identified(event: CanonicalEvent) -> bool:
    return bool(event.visitor_id or event.session_hint or event.ip_encrypted)


def process(
    decoded: Sequence[Decoded | DeadLetter],
    states: Mapping[tuple[int, bytes], KeyState | None],
    rules: Rules,
) -> BatchResult:
    result = BatchResult()
    current: dict[tuple[int, bytes], KeyState | None] = dict(states)
    for item in decoded:
        if isinstance(item, DeadLetter):
            result.dead.append(item)
            continue
        try:
            _one(item, current, rules, result)
        except Exception as exc:  # a rule bug must not lose the event: it goes to the DLQ
            result.dead.append(DeadLetter(item.message, f"internal error: {type(exc).__name__}"))
    return result


def _one(
    item: Decoded, current: dict[tuple[int, bytes], KeyState | None], rules: Rules, result: BatchResult
) -> None:
    event, message = item.event, item.message
    salt = rules.salts.get(event.event_time.astimezone(UTC).date(), b"") if needs_salt(event) else b""
    fields = rules.enricher.fields(event, salt)
    if isinstance(fields, PoisonEvent):
        result.dead.append(DeadLetter(message, f"undecryptable: {fields.reason}"))
        return
    slot = (message.partition, item.state_key)
    try:
        after = state.apply(
            fields, item.state_key, current.get(slot), rules.limits, message.offset,
            standalone=event.standalone_session,
        )  # fmt: skip
    except Redelivered:
        result.redelivered += 1
        return
    if after is not None:
        current[slot] = result.changes[slot] = after
    received = event.received_at.timestamp()
    if received > result.received.get(message.partition, 0.0):
        result.received[message.partition] = received
    if fields["session_id"] is not None:
        result.live.append((event.site_id, item.state_key, message.partition, event.event_time.timestamp()))
    if fields["bot_reason"]:
        result.bots[bots.family(fields["bot_reason"])] += 1
    result.outputs.append(Output(message.key, encode(fields)))


def encode(fields: dict[str, Any]) -> bytes:
    """The enriched event as JSON: datetimes in ISO 8601 with `Z`, enums as their values."""
    return orjson.dumps(fields, option=orjson.OPT_UTC_Z)
