"""Per-visitor state applied to an enriched event: session, sequence, uniqueness, lateness and the
behaviour bot rule. Pure: the agent loads the key's state, calls `apply`, and stores what it
returns.

Only an event that identifies its visitor has state (a vendor visitor or session id, or the
visitor's own IP). An anonymous event (a relaying backend that forwarded no visitor IP) has no
visitor, session or behaviour to judge: it is stored with none, and its uniqueness is what the
vendor's client declared (Simple Analytics' `unique`), never a count hitstream invents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from processors.rules import sessions
from processors.rules.sessions import Day, Limits, Session
from schemas.events import EnrichedEvent, SessionSnapshot

BEHAVIOUR_REASON = "behaviour:rate"
Flags = tuple[bool, bool, bool, bool]  # is_new_session, is_unique, is_late, too_fast


@dataclass(frozen=True, slots=True)
class KeyState:
    """Everything one Kafka key (`site|visitor`) remembers; one changelog record per key."""

    days: dict[int, Day]
    offset: int = -1  # raw-topic offset of the last event applied: redeliveries are recognised
    # What the last applied event was told, and its session and sequence, so a redelivery of it
    # is emitted again exactly as the first time.
    last: tuple[str | None, int, Flags] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "o": self.offset,
            "l": [self.last[0], self.last[1], list(self.last[2])] if self.last else None,
            "d": {str(d): _day_json(rec) for d, rec in self.days.items()},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyState:
        last = raw.get("l")
        flags: Flags | None = tuple(bool(x) for x in last[2]) if last else None  # type: ignore[assignment]
        return cls(
            days={int(d): _day(v) for d, v in raw.get("d", {}).items()},
            offset=int(raw.get("o", -1)),
            last=(last[0], int(last[1]), flags) if last and flags is not None else None,
        )


def _day_json(rec: Day) -> list[Any]:
    s = rec.session
    session = (
        [
            s.session_id,
            s.started,
            s.last_seen,
            s.seq,
            s.pageviews,
            s.entry_page,
            s.exit_page,
            list(s.attribution),
        ]
        if s is not None
        else None
    )
    return [rec.touched, session, rec.window_start, rec.window_count]


def _day(raw: list[Any]) -> Day:
    s = raw[1]
    session = (
        Session(str(s[0]), float(s[1]), float(s[2]), int(s[3]), int(s[4]), s[5], s[6], tuple(s[7]))
        if s is not None
        else None
    )
    return Day(float(raw[0]), session, float(raw[2]), int(raw[3]))


ATTRIBUTION = (
    "referrer_host", "channel", "utm_source", "utm_medium", "utm_campaign", "country", "region", "city",
    "device_type", "browser", "os",
)  # fmt: skip


def attribution(event: EnrichedEvent) -> tuple[str | None, ...]:
    """Where the visit came from and on what device, as the event that opens a session says."""
    return tuple(getattr(event, f) for f in ATTRIBUTION)


def snapshot(session: Session) -> SessionSnapshot:
    return SessionSnapshot(
        started=datetime.fromtimestamp(session.started, UTC),
        last_seen=datetime.fromtimestamp(session.last_seen, UTC),
        pageviews=session.pageviews,
        entry_page=session.entry_page,
        exit_page=session.exit_page,
        **dict[str, Any](zip(ATTRIBUTION, session.attribution, strict=True)),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    event: EnrichedEvent
    state: KeyState | None  # None: nothing to store (anonymous, filtered, or unchanged)
    redelivered: bool = False


def is_anonymous(event: EnrichedEvent) -> bool:
    return event.visitor_key == ""


def apply(
    event: EnrichedEvent,
    key: bytes,
    state: KeyState | None,
    limits: Limits,
    offset: int = -1,
    *,
    standalone: bool = False,
) -> Outcome:
    """The event with its session fields, and the key's state to store afterwards.

    `offset` is the event's raw-topic offset. Kafka redelivers events whose offsets were not
    committed yet (after a crash or a rebalance). The state already counts such an event, so it
    is not applied again; but its first output may never have reached Kafka, so it is emitted
    again rather than dropped. The last applied event is re-emitted exactly as the first time;
    an older one keeps only its visitor fields (its session is not known any more).
    """
    if event.filtered_reason is not None:
        return Outcome(event, None)
    if is_anonymous(event):
        return Outcome(_with(event, None, (False, bool(event.client_unique), False, False), 0), None)
    if state is not None and 0 <= offset <= state.offset:
        return Outcome(_as_before(event, state, offset), None, redelivered=True)
    days = state.days if state is not None else {}
    placement, changed = sessions.place(
        days,
        key=key,
        kind=event.event_type.value,
        event_time=event.event_time.timestamp(),
        received_at=event.received_at.timestamp(),
        limits=limits,
        standalone_id=event.event_id if standalone else None,
        page=event.page_path or "/",
        attribution=attribution(event),
    )
    flags: Flags = (placement.is_new_session, placement.is_unique, placement.is_late, placement.too_fast)
    out = _with(event, placement.session_id, flags, placement.seq, placement.session)
    r = event.received_at.timestamp()
    kept = {d: rec for d, rec in days.items() if sessions.reachable(d, rec, r, limits) is not None}
    kept.update(changed)
    new_state = KeyState(kept, offset, (placement.session_id, placement.seq, flags))
    return Outcome(out, new_state)


def _with(
    event: EnrichedEvent, sid: str | None, flags: Flags, seq: int, session: Session | None = None
) -> EnrichedEvent:
    new, unique, late, too_fast = flags
    update: dict[str, object] = {
        "session_id": sid,
        "is_new_session": new,
        "session_seq": seq,
        "is_unique": unique,
        "is_late": late,
        "session": snapshot(session) if session is not None else None,
    }
    if too_fast and not event.is_bot:
        update.update(is_bot=True, bot_reason=BEHAVIOUR_REASON, device_type="bot")
    return event.model_copy(update=update)


def _as_before(event: EnrichedEvent, state: KeyState, offset: int) -> EnrichedEvent:
    """A redelivered event with the answer it was given the first time, as far as state knows."""
    if offset == state.offset and state.last is not None:
        sid, seq, flags = state.last
        session = next(
            (d.session for d in state.days.values() if d.session and d.session.session_id == sid), None
        )
        return _with(event, sid, flags, seq, session)
    return event
