"""Sessions as a keyed state machine over event time (faust has no session windows).

Per Kafka key (one visitor on one site) we keep the current session. For each event:

- **late**: more than `lateness` older than its own `received_at`, or 30 minutes or more
  older than the start of the current session → flagged `is_late`, no session, state unchanged.
  An event less than 30 minutes before the start joins the current session (two requests of one
  visitor can reach Kafka in either order); it cannot belong to the previous session, which
  ended at least 30 minutes before this one started, so sessions of one key never overlap.
- **pageview / custom**: continues the session if less than 30 minutes passed since its last
  activity, else opens a new one. A session that crosses 00:00 UTC stays one session (the issue
  says so; design.md's "midnight ends a session" is overruled).
- **heartbeat**: extends a live session and is numbered in it, but is not a view and never opens
  a session: a heartbeat-only visit (tab restored after the session timed out) has no session.
- **engagement** (ZTA `timeOnPage`, `isBounce`): attaches to the current session, live or not,
  without extending it (it reports on time already spent, e.g. a page read for 40 minutes), if
  the session's last activity was less than `ENGAGEMENT_REACH` (1 h) before it. Without a bound,
  an engagement report would attach to whatever hours-old session expiry had not yet swept, and
  the answer would depend on when the timer ran.

The session id is derived from (key, start time), so replaying the raw topic gives the same ids.
A behaviour counter (views and custom events per fixed window) flags visitors who fire too fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from processors.rules import uniques

SESSION_GAP = timedelta(minutes=30)
ENGAGEMENT_REACH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Limits:
    lateness: timedelta = timedelta(hours=1)
    rate_window: timedelta = timedelta(seconds=60)
    rate_max_events: int = 120


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    started: float
    last_seen: float
    seq: int
    window_start: float
    window_count: int
    offset: int = -1  # raw-topic offset of the last event applied: redeliveries are recognised
    # What the last applied event was told (is_new_session, is_unique, is_late, too_fast), so a
    # redelivery of it is emitted again exactly as the first time.
    last_flags: tuple[bool, bool, bool, bool] | None = None
    # UTC days (`uniques.utc_day`) on which this key was counted unique, the recent ones only:
    # the record outlives its session until no on-time event can fall on those days any more.
    days: tuple[int, ...] = ()

    def to_json(self) -> list[Any]:
        return [
            self.session_id,
            self.started,
            self.last_seen,
            self.seq,
            self.window_start,
            self.window_count,
            self.offset,
            list(self.last_flags) if self.last_flags is not None else None,
            list(self.days),
        ]

    @classmethod
    def from_json(cls, raw: list[Any]) -> SessionState:
        offset = int(raw[6]) if len(raw) > 6 else -1
        flags = raw[7] if len(raw) > 7 else None
        last = (bool(flags[0]), bool(flags[1]), bool(flags[2]), bool(flags[3])) if flags else None
        days = tuple(int(d) for d in raw[8]) if len(raw) > 8 else ()
        return cls(
            str(raw[0]),
            float(raw[1]),
            float(raw[2]),
            int(raw[3]),
            float(raw[4]),
            int(raw[5]),
            offset,
            last,
            days,
        )


@dataclass(frozen=True, slots=True)
class Placement:
    session_id: str | None = None
    is_new_session: bool = False
    seq: int = 0
    is_late: bool = False
    too_fast: bool = False


LATE = Placement(is_late=True)
NO_SESSION = Placement()


def session_id(key: bytes, started: float) -> str:
    h = hashlib.blake2b(key, digest_size=16, person=b"hs-session-v1")
    h.update(repr(round(started, 3)).encode())
    return h.hexdigest()


def is_late(event_time: float, received_at: float, state: SessionState | None, limits: Limits) -> bool:
    if received_at - event_time > limits.lateness.total_seconds():
        return True
    return state is not None and state.started - event_time >= SESSION_GAP.total_seconds()


def is_live(state: SessionState | None, t: float) -> bool:
    return state is not None and t - state.last_seen < SESSION_GAP.total_seconds()


def place(
    state: SessionState | None,
    *,
    key: bytes,
    kind: str,
    event_time: float,
    received_at: float,
    limits: Limits,
) -> tuple[Placement, SessionState | None]:
    """Where one event goes, and the state to keep afterwards."""
    if is_late(event_time, received_at, state, limits):
        return LATE, state
    if kind == "engagement":
        if state is None or event_time - state.last_seen >= ENGAGEMENT_REACH.total_seconds():
            return NO_SESSION, state
        state = replace(state, seq=state.seq + 1)
        return Placement(state.session_id, False, state.seq), state
    if kind == "heartbeat":
        if not is_live(state, event_time):
            return NO_SESSION, state
        assert state is not None
        state = replace(state, seq=state.seq + 1, last_seen=max(state.last_seen, event_time))
        return Placement(state.session_id, False, state.seq), state
    return _activity(state, key, event_time, limits)


def _activity(
    state: SessionState | None, key: bytes, t: float, limits: Limits
) -> tuple[Placement, SessionState]:
    new = not is_live(state, t)
    if new or state is None:
        days = state.days if state is not None else ()  # the day survives the session
        state = SessionState(session_id(key, t), t, t, 0, t, 0, days=days)
    if t - state.window_start >= limits.rate_window.total_seconds():
        state = replace(state, window_start=t, window_count=0)
    state = replace(
        state, seq=state.seq + 1, last_seen=max(state.last_seen, t), window_count=state.window_count + 1
    )
    too_fast = state.window_count > limits.rate_max_events
    return Placement(state.session_id, new, state.seq, False, too_fast), state


def horizon(lateness: timedelta) -> float:
    """How far behind an arrival time state can still be reached: an on-time event is at most
    `lateness` older than its arrival, and continues a session idle for under 30 minutes, or
    attaches an engagement report to one idle for under an hour. Every rule that looks back at
    `last_seen` must stay within this, or expiry would change answers (hypothesis-tested)."""
    return max(SESSION_GAP, ENGAGEMENT_REACH).total_seconds() + lateness.total_seconds()


def expired(state: SessionState, watermark: float, lateness: timedelta) -> bool:
    """State that no future on-time event can reach any more: safe to drop (bounds the store).
    Neither its session (idle too long) nor a day it was seen on (over, lateness included)."""
    reach = watermark - horizon(lateness)
    return reach > state.last_seen and all(d < uniques.utc_day(reach) for d in state.days)


def expiry_watermark(assigned: set[int], received: dict[int, float]) -> float | None:
    """The arrival time every partition of this worker has reached, or None while one of them has
    processed nothing since it was assigned (its backlog may be old; expiry waits for it).

    State last reached more than `horizon(lateness)` before it can take no on-time event any
    more: later events in its partition arrive after the watermark, and an on-time event is at
    most `lateness` older than its arrival."""
    for gone in set(received) - assigned:
        del received[gone]
    if not assigned or any(p not in received for p in assigned):
        return None
    return min(received[p] for p in assigned)
