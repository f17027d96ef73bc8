"""Per-visitor state applied to one event: session, sequence, uniqueness, lateness and the behaviour
bot rule. Pure: the hot path reads the key's state, calls `apply`, and stores what it returns.

Only an event that identifies its visitor has state (a vendor visitor or session id, or the
visitor's own IP). An anonymous event (a relaying backend forwarded no visitor IP) has no
visitor, session or behaviour to judge: it is stored with none, and its uniqueness is what the
vendor's client declared (Simple Analytics' `unique`), never a count hitstream invents.

Redelivery. Kafka redelivers events whose offsets were not committed yet (after a crash or a
rebalance). The state records the raw offset of the last event it applied, and the hot path
writes state only after that event's output was acknowledged by Kafka (and the state's changelog
record after that): a redelivered event the state already counts was therefore already emitted,
so it is neither applied again nor emitted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from processors.rules import sessions
from processors.rules.sessions import Day, Limits, Session
from processors.rules.visitor import ANONYMOUS

BEHAVIOUR_REASON = "behaviour:rate"
ATTRIBUTION = (
    "referrer_host", "channel", "utm_source", "utm_medium", "utm_campaign", "country", "region", "city",
    "device_type", "browser", "os",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KeyState:
    """Everything one Kafka key (`site|visitor`) remembers; one changelog record per key."""

    days: dict[int, Day]
    offset: int = -1  # raw-topic offset of the last event applied: redeliveries are recognised

    def to_json(self) -> dict[str, Any]:
        return {"o": self.offset, "d": {str(d): _day_json(rec) for d, rec in self.days.items()}}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyState:
        return cls({int(d): _day(v) for d, v in raw.get("d", {}).items()}, int(raw.get("o", -1)))


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


class Redelivered(Exception):
    """The event is already applied and emitted: acknowledge it, emit nothing."""


def is_anonymous(fields: dict[str, Any]) -> bool:
    return bool(fields["visitor_key"] == ANONYMOUS)


def apply(
    fields: dict[str, Any],
    key: bytes,
    state: KeyState | None,
    limits: Limits,
    offset: int = -1,
    *,
    standalone: bool = False,
) -> KeyState | None:
    """Set the session fields of one enriched event (`fields`, `EnrichedEvent`'s fields, changed
    in place) and return the key's state to store afterwards (None: nothing to store).

    Raises `Redelivered` for an event at or before the last offset the state applied."""
    if fields["filtered_reason"] is not None:
        return None
    if is_anonymous(fields):
        fields["is_unique"] = bool(fields["client_unique"])
        return None
    if state is not None and 0 <= offset <= state.offset:
        raise Redelivered
    days = state.days if state is not None else {}
    kind = fields["event_type"].value
    received = fields["received_at"].timestamp()
    placement, changed = sessions.place(
        days,
        key=key,
        kind=kind,
        event_time=fields["event_time"].timestamp(),
        received_at=received,
        limits=limits,
        standalone_id=fields["event_id"] if standalone else None,
        page=fields["page_path"] or "/",
        attribution=tuple(fields[f] for f in ATTRIBUTION),
    )
    fields["session_id"] = placement.session_id
    fields["is_new_session"] = placement.is_new_session
    fields["session_seq"] = placement.seq
    fields["is_unique"] = placement.is_unique
    fields["is_late"] = placement.is_late
    fields["session"] = snapshot(placement.session) if placement.session is not None else None
    if placement.too_fast and not fields["is_bot"]:
        fields.update(is_bot=True, bot_reason=BEHAVIOUR_REASON, device_type="bot")
    kept = {d: rec for d, rec in days.items() if sessions.reachable(d, rec, received, limits) is not None}
    kept.update(changed)
    return KeyState(kept, offset)


def snapshot(session: Session) -> dict[str, Any]:
    """The session as `EnrichedEvent.session` (a `SessionSnapshot`) carries it."""
    out: dict[str, Any] = dict(zip(ATTRIBUTION, session.attribution, strict=True))
    out["started"] = datetime.fromtimestamp(session.started, UTC)
    out["last_seen"] = datetime.fromtimestamp(session.last_seen, UTC)
    out["pageviews"] = session.pageviews
    out["entry_page"] = session.entry_page
    out["exit_page"] = session.exit_page
    return out
