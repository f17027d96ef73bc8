"""`is_unique` from the days kept in a key's state record, and the expiry of that record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from processors import state
from processors.rules import sessions, uniques
from processors.rules.sessions import Limits, SessionState
from schemas.events import EnrichedEvent, EventType, Vendor

KEY = b"site|visitor"
LIMITS = Limits(lateness=timedelta(hours=1))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def _event(i: int, kind: str, t: float, received: float | None = None) -> EnrichedEvent:
    return EnrichedEvent(
        event_id=f"e{i}",
        vendor=Vendor.SWETRIX,
        site_id="site",
        event_type=EventType(kind),
        event_time=datetime.fromtimestamp(t, UTC),
        received_at=datetime.fromtimestamp(t if received is None else received, UTC),
        visitor_key="visitor",
    )


def _run(
    events: list[tuple[str, float, float]], sweep: bool = False
) -> tuple[list[EnrichedEvent], SessionState | None]:
    """The events as enriched by state; with `sweep`, the record is dropped whenever expiry allows
    it, with the arrival time of the previous event as the watermark (what the worker has seen)."""
    s: SessionState | None = None
    out: list[EnrichedEvent] = []
    watermark: float | None = None
    for i, (kind, t, received) in enumerate(events):
        if (
            sweep
            and s is not None
            and watermark is not None
            and sessions.expired(s, watermark, LIMITS.lateness)
        ):
            s = None
        o = state.apply(_event(i, kind, t, received), KEY, s, LIMITS, offset=i)
        s, watermark = o.session, received
        out.append(o.event)
    return out, s


def _unique(events: list[tuple[str, float, float]]) -> tuple[list[bool], SessionState | None]:
    out, s = _run(events)
    return [e.is_unique for e in out], s


def test_a_visitor_returning_the_same_day_is_not_unique_again() -> None:
    flags, s = _unique([("pageview", NOON, NOON), ("pageview", NOON + 6 * HOUR, NOON + 6 * HOUR)])
    assert flags == [True, False]
    assert s is not None and s.days == (uniques.utc_day(NOON),)


def test_the_next_utc_day_counts_again_even_within_one_session() -> None:
    late_evening = NOON + 11 * HOUR + 50 * 60  # 23:50
    flags, s = _unique(
        [("pageview", late_evening, late_evening), ("pageview", late_evening + 900, late_evening + 900)]
    )
    assert flags == [True, True]  # 00:05 is a new day, though the session carries on
    assert s is not None and s.days == (uniques.utc_day(NOON), uniques.utc_day(NOON) + 1)


def test_heartbeats_engagement_and_late_events_are_never_unique_nor_remembered() -> None:
    flags, s = _unique(
        [
            ("pageview", NOON - 2 * HOUR, NOON),  # older than the lateness limit
            ("heartbeat", NOON, NOON),
            ("engagement", NOON, NOON),
        ]
    )
    assert flags == [False, False, False] and s is None


def test_only_recent_days_are_kept() -> None:
    days = [NOON + d * 24 * HOUR for d in range(5)]
    _, s = _unique([("pageview", t, t) for t in days])
    assert s is not None and s.days == (uniques.utc_day(days[-1]),)
    assert uniques.remember((1, 2, 3), 4 * 86_400.0, 3 * 86_400.0) == (3, 4)


def test_the_record_outlives_its_session_until_its_day_is_out_of_reach() -> None:
    _, s = _unique([("pageview", NOON, NOON)])
    assert s is not None
    horizon = sessions.horizon(LIMITS.lateness)
    midnight = NOON + 12 * HOUR
    assert not sessions.expired(s, NOON + 3 * HOUR, LIMITS.lateness)  # session over, day not
    assert not sessions.expired(s, midnight + horizon - 1, LIMITS.lateness)
    assert sessions.expired(s, midnight + horizon + 1, LIMITS.lateness)


def test_an_old_record_without_days_reads_as_before() -> None:
    raw = ["sid", NOON, NOON, 1, NOON, 1, 7, [True, True, False, False]]
    assert SessionState.from_json(raw).days == ()
    s = SessionState("sid", NOON, NOON, 1, NOON, 1, 7, (True, True, False, False), (20_415,))
    assert SessionState.from_json(s.to_json()) == s


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pageview", "custom", "heartbeat", "engagement"]),
            st.integers(0, 40 * 60),  # gap in arrival since the previous event
            st.integers(0, 90 * 60),  # how much older than its arrival the event claims to be
        ),
        max_size=40,
    )
)
def test_sweeping_expired_records_never_changes_an_answer(spec: list[tuple[str, int, int]]) -> None:
    """Expiry runs whenever the timer fires: it may only drop what no later event can reach, so
    sessions, sequence numbers, lateness and uniqueness come out the same either way."""
    events, received = [], NOON + 11 * HOUR  # start near midnight so days roll over
    for kind, gap, age in spec:
        received += gap * 7  # up to 4 h 40 between arrivals
        events.append((kind, received - age, received))
    assert _run(events, sweep=True)[0] == _run(events)[0]
