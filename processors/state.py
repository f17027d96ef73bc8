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
    mark_seen_today: bool
    redelivered: bool = False


def apply(
    event: EnrichedEvent,
    key: bytes,
    session: SessionState | None,
    seen_today: bool,
    limits: Limits,
    offset: int = -1,
) -> Outcome:
    """Events a vendor promised to drop (`filtered_reason`) pass through untouched by state.

    `offset` is the event's raw-topic offset. Kafka redelivers events whose offsets were not
    committed yet (after a rebalance or a crash); one whose offset is not past the last offset
    the key's state already applied is reported as `redelivered`, and the agent does not emit
    it again, so a redelivery never produces a second, different answer for the same event.
    """
    if event.filtered_reason is not None:
        return Outcome(event, session, False)
    if session is not None and 0 <= offset <= session.offset:
        return Outcome(event, session, False, redelivered=True)
    kind = event.event_type.value
    placement, new_session = sessions.place(
        session,
        key=key,
        kind=kind,
        event_time=event.event_time.timestamp(),
        received_at=event.received_at.timestamp(),
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
        new_session = replace(new_session, offset=offset)
    return Outcome(event.model_copy(update=update), new_session, unique)
