"""Swetrix session decisions with hand-picked timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.rules.swetrix_sessions import (
    NO_LIVE_SESSION,
    REPEATED_CUSTOM,
    REPEATED_PAGEVIEW,
    SwetrixSession,
    decide,
    expired,
)
from schemas.swetrix_sessions import SessionTouch

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def touch(kind: str, at: datetime, unique: bool = False, name: str | None = None) -> SessionTouch:
    return SessionTouch(key="site|v", kind=kind, unique=unique, event_name=name, at=at)  # type: ignore[arg-type]


def run(*touches: SessionTouch) -> list[tuple[bool, str | None]]:
    state: SwetrixSession | None = None
    out = []
    for t in touches:
        verdict, state = decide(state, t)
        out.append((verdict.accept, verdict.reason))
    return out


def test_heartbeat_without_session_is_rejected() -> None:
    assert run(touch("heartbeat", T0)) == [(False, NO_LIVE_SESSION)]


def test_heartbeat_after_pageview_is_accepted_and_extends() -> None:
    m = timedelta(minutes=1)
    results = run(touch("pageview", T0), touch("heartbeat", T0 + 29 * m), touch("heartbeat", T0 + 58 * m))
    assert [a for a, _ in results] == [True, True, True]


def test_heartbeat_exactly_30_minutes_after_last_touch_is_rejected() -> None:
    results = run(touch("pageview", T0), touch("heartbeat", T0 + timedelta(minutes=30)))
    assert results[1] == (False, NO_LIVE_SESSION)


def test_unique_pageview_repeat_in_session_is_rejected() -> None:
    results = run(
        touch("pageview", T0, unique=True), touch("pageview", T0 + timedelta(minutes=5), unique=True)
    )
    assert results == [(True, None), (False, REPEATED_PAGEVIEW)]


def test_non_unique_pageview_repeat_is_accepted() -> None:
    assert run(touch("pageview", T0), touch("pageview", T0 + timedelta(seconds=1)))[1] == (True, None)


def test_unique_pageview_accepted_again_in_a_new_session() -> None:
    results = run(
        touch("pageview", T0, unique=True), touch("pageview", T0 + timedelta(minutes=31), unique=True)
    )
    assert results == [(True, None), (True, None)]


def test_unique_custom_event_is_per_name() -> None:
    s = timedelta(seconds=10)
    results = run(
        touch("custom", T0, unique=True, name="signup"),
        touch("custom", T0 + s, unique=True, name="signup"),
        touch("custom", T0 + 2 * s, unique=True, name="download"),
    )
    assert results == [(True, None), (False, REPEATED_CUSTOM), (True, None)]


def test_unique_custom_after_pageview_is_accepted() -> None:
    results = run(touch("pageview", T0, unique=True), touch("custom", T0, unique=True, name="x"))
    assert results == [(True, None), (True, None)]


def test_new_utc_day_starts_a_new_swetrix_session() -> None:
    before = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
    after = before + timedelta(minutes=2)
    results = run(touch("pageview", before, unique=True), touch("heartbeat", after))
    assert results[1] == (False, NO_LIVE_SESSION)
    assert run(touch("pageview", before, unique=True), touch("pageview", after, unique=True))[1] == (
        True,
        None,
    )


def test_rejection_leaves_state_unchanged() -> None:
    verdict, state = decide(None, touch("heartbeat", T0))
    assert not verdict.accept and state is None


def test_state_round_trips_through_json_and_expires() -> None:
    _, state = decide(None, touch("custom", T0, name="a"))
    assert state is not None
    assert SwetrixSession.from_json(state.to_json()) == state
    assert not expired(state, T0 + timedelta(minutes=29))
    assert expired(state, T0 + timedelta(minutes=30))
