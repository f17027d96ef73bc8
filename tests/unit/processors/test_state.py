"""A key's state record: anonymous events, redeliveries, the JSON record, and expiry that never
changes an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors import state
from processors.rules import sessions
from processors.rules.sessions import Limits
from schemas.events import EnrichedEvent, EventType, Vendor

KEY = b"site|visitor"
LIMITS = Limits(lateness=timedelta(hours=1))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def _event(
    i: int, kind: str, t: float, received: float | None = None, visitor: str = "visitor", **extra: object
) -> EnrichedEvent:
    return EnrichedEvent(
        event_id=f"e{i}",
        vendor=Vendor.SWETRIX,
        site_id="site",
        event_type=EventType(kind),
        event_time=datetime.fromtimestamp(t, UTC),
        received_at=datetime.fromtimestamp(t if received is None else received, UTC),
        visitor_key=visitor,
        **extra,  # type: ignore[arg-type]
    )


def _apply(
    event: EnrichedEvent, s: state.KeyState | None, offset: int, standalone: bool = False
) -> tuple[EnrichedEvent, state.KeyState | None]:
    """`state.apply` on the event's fields, as the hot path calls it; the event it makes."""
    fields = event.model_dump()
    after = state.apply(fields, KEY, s, LIMITS, offset, standalone=standalone)
    return EnrichedEvent.model_validate(fields), after


def _run(events: list[tuple[str, float, float]], sweep: bool = False) -> list[EnrichedEvent]:
    """The events as state enriches them; with `sweep`, the record is dropped whenever expiry
    allows it, with the arrival time of the previous event as the watermark."""
    s: state.KeyState | None = None
    out: list[EnrichedEvent] = []
    watermark: float | None = None
    for i, (kind, t, received) in enumerate(events):
        if sweep and s is not None and watermark is not None and sessions.expired(s.days, watermark, LIMITS):
            s = None
        event, after = _apply(_event(i, kind, t, received), s, i)
        s, watermark = (after or s), received
        out.append(event)
    return out


def test_anonymous_events_have_no_state_and_carry_the_clients_own_uniqueness() -> None:
    for declared, unique in ((True, True), (False, False), (None, False)):
        event, after = _apply(_event(1, "pageview", NOON, visitor="", client_unique=declared), None, 1)
        assert after is None and event.is_unique is unique
        assert event.session_id is None and not event.is_bot


def test_a_hundred_and_thirty_hits_of_one_relay_are_not_one_fast_visitor() -> None:
    events = [_event(i, "pageview", NOON + i / 32, visitor="") for i in range(130)]
    assert not any(_apply(e, None, i)[0].is_bot for i, e in enumerate(events))


def test_a_redelivered_event_is_neither_applied_nor_emitted_again() -> None:
    """State is written only after the event's output was acknowledged, so an event the state
    already counts was emitted: it is acked and dropped."""
    first, after = _apply(_event(0, "pageview", NOON), None, 10)
    assert after is not None and after.offset == 10
    for offset in (10, 9):
        with pytest.raises(state.Redelivered):
            _apply(_event(0, "pageview", NOON), after, offset)
    later, _ = _apply(_event(1, "pageview", NOON + 60), after, 11)
    assert later.session_seq == 2 and later.session_id == first.session_id


def test_state_round_trips_through_json() -> None:
    _, first = _apply(_event(0, "pageview", NOON), None, 3)
    assert first is not None
    _, second = _apply(_event(1, "pageview", NOON + 9 * HOUR + 1800), first, 4)
    assert second is not None and state.KeyState.from_json(second.to_json()) == second


def test_days_out_of_reach_are_dropped_on_write() -> None:
    days = [NOON + d * 24 * HOUR for d in range(5)]
    s = None
    for i, t in enumerate(days):
        s = _apply(_event(i, "pageview", t), s, i)[1]
    assert s is not None and list(s.days) == [sessions.utc_day(days[-1])]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pageview", "custom", "heartbeat", "engagement", "error"]),
            st.integers(0, 40 * 60),  # gap in arrival since the previous event
            st.integers(0, 3 * 3600),  # how much older than its arrival the event claims to be
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
    assert _run(events, sweep=True) == _run(events)


def test_each_event_carries_its_session_as_of_that_event() -> None:
    """What the sessions table keeps (the highest session_seq wins): times, pageviews, entry and
    exit pages, and the first event's attribution."""
    first = _event(0, "pageview", NOON, page_path="/landing", referrer_host="news.ycombinator.com",
                   channel="referral", country="DE", browser="Firefox", device_type="desktop")  # fmt: skip
    later = [
        _event(1, "custom", NOON + 60, page_path="/pricing", country="FR", browser="Chrome"),
        _event(2, "heartbeat", NOON + 600),
        _event(3, "pageview", NOON + 900, page_path="/signup"),
        _event(4, "engagement", NOON + 2000),
    ]
    s: state.KeyState | None = None
    out: list[EnrichedEvent] = []
    for i, e in enumerate([first, *later]):
        event, after = _apply(e, s, i)
        s, out = after or s, [*out, event]
    snaps = [e.session for e in out]
    assert all(snap is not None for snap in snaps)
    last = snaps[-1]
    assert last is not None and out[-1].session_seq == 5
    assert (last.pageviews, last.entry_page, last.exit_page) == (2, "/landing", "/signup")
    assert (last.started.timestamp(), last.last_seen.timestamp()) == (
        NOON,
        NOON + 900,
    )  # engagement: no extension
    assert (last.referrer_host, last.channel, last.country, last.browser) == (
        "news.ycombinator.com", "referral", "DE", "Firefox",
    )  # fmt: skip
    assert [snap.pageviews for snap in snaps if snap] == [1, 1, 1, 2, 2]


def test_a_standalone_hit_is_a_whole_session() -> None:
    event, _ = _apply(_event(0, "pageview", NOON, page_path="/p"), None, 0, standalone=True)
    assert event.session is not None and event.session.pageviews == 1
    assert event.session.entry_page == event.session.exit_page == "/p" and event.session_seq == 1
