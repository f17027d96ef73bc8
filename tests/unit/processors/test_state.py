"""A key's state record: anonymous events, redeliveries, the JSON record, and expiry that never
changes an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def _run(events: list[tuple[str, float, float]], sweep: bool = False) -> list[EnrichedEvent]:
    """The events as state enriches them; with `sweep`, the record is dropped whenever expiry
    allows it, with the arrival time of the previous event as the watermark."""
    s: state.KeyState | None = None
    out: list[EnrichedEvent] = []
    watermark: float | None = None
    for i, (kind, t, received) in enumerate(events):
        if sweep and s is not None and watermark is not None and sessions.expired(s.days, watermark, LIMITS):
            s = None
        o = state.apply(_event(i, kind, t, received), KEY, s, LIMITS, offset=i)
        s, watermark = (o.state or s), received
        out.append(o.event)
    return out


def test_anonymous_events_have_no_state_and_carry_the_clients_own_uniqueness() -> None:
    for declared, unique in ((True, True), (False, False), (None, False)):
        o = state.apply(_event(1, "pageview", NOON, visitor="", client_unique=declared), KEY, None, LIMITS, 1)
        assert o.state is None and o.event.is_unique is unique
        assert o.event.session_id is None and not o.event.is_bot


def test_a_hundred_and_thirty_hits_of_one_relay_are_not_one_fast_visitor() -> None:
    events = [_event(i, "pageview", NOON + i / 32, visitor="") for i in range(130)]
    assert not any(state.apply(e, KEY, None, LIMITS, i).event.is_bot for i, e in enumerate(events))


def test_redelivered_event_is_recognised_by_offset() -> None:
    ev = _event(0, "pageview", NOON)
    first = state.apply(ev, KEY, None, LIMITS, offset=10)
    assert first.state is not None and first.state.offset == 10 and not first.redelivered
    again = state.apply(ev, KEY, first.state, LIMITS, offset=10)
    # Recognised, not applied twice, and emitted again exactly as the first time (its first
    # output may have been lost with a crashed worker).
    assert again.redelivered and again.state is None and again.event == first.event
    older = state.apply(ev, KEY, first.state, LIMITS, offset=9)
    assert older.redelivered
    later = state.apply(ev.model_copy(update={"event_id": "f"}), KEY, first.state, LIMITS, offset=11)
    assert not later.redelivered and later.event.session_seq == 2


def test_state_round_trips_through_json() -> None:
    first = state.apply(_event(0, "pageview", NOON), KEY, None, LIMITS, offset=3).state
    assert first is not None
    second = state.apply(_event(1, "pageview", NOON + 9 * HOUR + 1800), KEY, first, LIMITS, offset=4).state
    assert second is not None and state.KeyState.from_json(second.to_json()) == second


def test_days_out_of_reach_are_dropped_on_write() -> None:
    days = [NOON + d * 24 * HOUR for d in range(5)]
    s = None
    for i, t in enumerate(days):
        s = state.apply(_event(i, "pageview", t), KEY, s, LIMITS, offset=i).state
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
    s, out = None, []
    for i, e in enumerate([first, *later]):
        o = state.apply(e, KEY, s, LIMITS, offset=i)
        s, out = o.state or s, [*out, o.event]
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
    o = state.apply(_event(0, "pageview", NOON, page_path="/p"), KEY, None, LIMITS, 0, standalone=True)
    assert o.event.session is not None and o.event.session.pageviews == 1
    assert o.event.session.entry_page == o.event.session.exit_page == "/p" and o.event.session_seq == 1
