"""Swetrix's session rules as one pure function: (state, touch) → (verdict, new state).

Swetrix answers 403 for a heartbeat with no live session, for a repeated `unique: true` pageview
in a session, and for a repeated `unique: true` custom event of the same name in a session, with
the messages its server uses (`Swetrix/swetrix`, `analytics.controller.ts`). Every accepted touch,
an error report included, opens or keeps the session alive for 30 minutes; a new UTC day starts a
new Swetrix session (its session hash is salted per UTC day).

The faust view (`processors.views`) only loads the state for the touch's key, calls `decide`
and stores the result, without awaiting in between, so each decision is atomic on the worker
that owns the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.swetrix_sessions import SessionTouch, SessionVerdict

SESSION_TIMEOUT = timedelta(minutes=30)
NO_LIVE_SESSION = (
    "The heartbeat was not saved because there is no session for this request. "
    "Please, send a pageview or custom event request first to initialise the session."
)
REPEATED_PAGEVIEW = "The event was not saved because it was not unique while unique only param is provided"
REPEATED_CUSTOM = (
    "The unique option provided, while the custom event have already been created for this session"
)


@dataclass(frozen=True)
class SwetrixSession:
    """What one live Swetrix session remembers; JSON-able for the changelog."""

    started: float
    last_seen: float
    has_pageview: bool = False
    event_names: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"s": self.started, "l": self.last_seen, "p": self.has_pageview, "e": list(self.event_names)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SwetrixSession:
        return cls(float(raw["s"]), float(raw["l"]), bool(raw["p"]), tuple(raw["e"]))


def is_live(state: SwetrixSession | None, at: datetime) -> bool:
    """A session is live until 30 minutes pass without a touch, or the UTC day changes."""
    if state is None:
        return False
    ts = at.timestamp()
    if ts - state.last_seen >= SESSION_TIMEOUT.total_seconds():
        return False
    started_day = datetime.fromtimestamp(state.started, UTC).date()
    return at.astimezone(UTC).date() == started_day


def decide(state: SwetrixSession | None, touch: SessionTouch) -> tuple[SessionVerdict, SwetrixSession | None]:
    """The verdict for one touch and the state to store afterwards (unchanged when rejected)."""
    live = state if is_live(state, touch.at) else None
    if live is None:
        if touch.kind == "heartbeat":
            return SessionVerdict(accept=False, reason=NO_LIVE_SESSION), state
        ts = touch.at.timestamp()
        live = SwetrixSession(started=ts, last_seen=ts)
    if touch.unique and touch.kind == "pageview" and live.has_pageview:
        return SessionVerdict(accept=False, reason=REPEATED_PAGEVIEW), state
    name = touch.event_name or ""
    if touch.unique and touch.kind == "custom" and name in live.event_names:
        return SessionVerdict(accept=False, reason=REPEATED_CUSTOM), state
    return SessionVerdict(accept=True), _extend(live, touch)


def _extend(live: SwetrixSession, touch: SessionTouch) -> SwetrixSession:
    names = live.event_names
    if touch.kind == "custom" and (touch.event_name or "") not in names:
        names = (*names, touch.event_name or "")
    return SwetrixSession(
        started=live.started,
        last_seen=max(live.last_seen, touch.at.timestamp()),
        has_pageview=live.has_pageview or touch.kind == "pageview",
        event_names=names,
    )


def expired(state: SwetrixSession, now: datetime) -> bool:
    """True once the session can never be live again: safe to delete from the table."""
    return not is_live(state, now)
