"""Per-visitor state applied to an enriched event: session, sequence, uniqueness, lateness and
the behaviour bot rule. Pure: the agent loads the state, calls `apply`, and stores what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from processors.rules import sessions, uniques
from processors.rules.sessions import Limits, SessionState
from schemas.events import EnrichedEvent

BEHAVIOUR_REASON = "behaviour:rate"


@dataclass(frozen=True, slots=True)
class Outcome:
    event: EnrichedEvent
    session: SessionState | None
    redelivered: bool = False


def apply(
    event: EnrichedEvent,
    key: bytes,
    session: SessionState | None,
    limits: Limits,
    offset: int = -1,
) -> Outcome:
    """Events a vendor promised to drop (`filtered_reason`) pass through untouched by state.

    `offset` is the event's raw-topic offset. Kafka redelivers events whose offsets were not
    committed yet (after a crash or a rebalance). The state already counts such an event, so it
    is not applied again; but its first output may never have reached Kafka (the worker can die
    after writing state and before its output was acknowledged), so it is emitted again rather
    than dropped, and the sink keeps one row per `event_id`. The last applied event is re-emitted
    exactly as the first time; an older one keeps its session id, with `session_seq` 0 (unknown).
    """
    if event.filtered_reason is not None:
        return Outcome(event, session)
    if session is not None and 0 <= offset <= session.offset:
        return Outcome(_as_before(event, session, offset), session, redelivered=True)
    kind = event.event_type.value
    t, received_at = event.event_time.timestamp(), event.received_at.timestamp()
    seen_today = session is not None and uniques.seen(session.days, t)
    placement, new_session = sessions.place(
        session,
        key=key,
        kind=kind,
        event_time=t,
        received_at=received_at,
        limits=limits,
    )
    unique = uniques.is_unique(kind, placement.is_late, seen_today)
    update: dict[str, object] = {
        "session_id": placement.session_id,
        "is_new_session": placement.is_new_session,
        "session_seq": placement.seq,
        "is_unique": unique,
        "is_late": placement.is_late,
    }
    if placement.too_fast and not event.is_bot:
        update.update(is_bot=True, bot_reason=BEHAVIOUR_REASON, device_type="bot")
    if new_session is not None and new_session is not session:
        flags = (placement.is_new_session, unique, placement.is_late, placement.too_fast)
        days = new_session.days
        if unique:
            days = uniques.remember(days, t, received_at - sessions.horizon(limits.lateness))
        new_session = replace(new_session, offset=offset, last_flags=flags, days=days)
    return Outcome(event.model_copy(update=update), new_session)


def _as_before(event: EnrichedEvent, session: SessionState, offset: int) -> EnrichedEvent:
    """A redelivered event with the answer it was given the first time, as far as state knows."""
    if offset == session.offset and session.last_flags is not None:
        new, unique, late, too_fast = session.last_flags
        update: dict[str, object] = {
            "session_id": session.session_id,
            "is_new_session": new,
            "session_seq": session.seq,
            "is_unique": unique,
            "is_late": late,
        }
        if too_fast and not event.is_bot:
            update.update(is_bot=True, bot_reason=BEHAVIOUR_REASON, device_type="bot")
        return event.model_copy(update=update)
    return event.model_copy(update={"session_id": session.session_id, "session_seq": 0})
