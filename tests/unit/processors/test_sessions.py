"""Sessions, uniqueness, lateness and the behaviour rule with hand-picked timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.rules import sessions, uniques
from processors.rules.sessions import Limits, SessionState

KEY = b"example|abc"
LIMITS = Limits(lateness=timedelta(hours=1), rate_window=timedelta(seconds=60), rate_max_events=5)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
MIN = 60.0


def run(
    events: list[tuple[str, float]], received: dict[int, float] | None = None
) -> list[sessions.Placement]:
    state: SessionState | None = None
    out = []
    for i, (kind, t) in enumerate(events):
        rec = (received or {}).get(i, t)
        placement, state = sessions.place(
            state, key=KEY, kind=kind, event_time=t, received_at=rec, limits=LIMITS
        )
        out.append(placement)
    return out


def test_gap_just_under_30_minutes_continues_the_session() -> None:
    a, b = run([("pageview", T0), ("pageview", T0 + 30 * MIN - 0.001)])
    assert a.is_new_session and not b.is_new_session and a.session_id == b.session_id
    assert (a.seq, b.seq) == (1, 2)


def test_gap_of_exactly_30_minutes_starts_a_new_session() -> None:
    a, b = run([("pageview", T0), ("pageview", T0 + 30 * MIN)])
    assert b.is_new_session and a.session_id != b.session_id and b.seq == 1


def test_session_spanning_midnight_stays_one_session() -> None:
    before = datetime(2026, 11, 23, 23, 50, tzinfo=UTC).timestamp()
    a, b, c = run([("pageview", before), ("pageview", before + 15 * MIN), ("custom", before + 25 * MIN)])
    assert a.session_id == b.session_id == c.session_id and c.seq == 3


def test_heartbeats_extend_a_session_but_never_open_one() -> None:
    out = run(
        [
            ("pageview", T0),
            ("heartbeat", T0 + 25 * MIN),
            ("heartbeat", T0 + 50 * MIN),
            ("pageview", T0 + 70 * MIN),
        ]
    )
    assert len({p.session_id for p in out}) == 1 and [p.seq for p in out] == [1, 2, 3, 4]


def test_heartbeat_only_visit_has_no_session() -> None:
    out = run([("heartbeat", T0), ("heartbeat", T0 + MIN)])
    assert all(p.session_id is None and not p.is_new_session for p in out)


def test_heartbeat_after_timeout_has_no_session() -> None:
    _, hb = run([("pageview", T0), ("heartbeat", T0 + 31 * MIN)])
    assert hb.session_id is None


def test_engagement_attaches_without_extending() -> None:
    pv, eng, nxt = run([("pageview", T0), ("engagement", T0 + 40 * MIN), ("pageview", T0 + 45 * MIN)])
    assert eng.session_id == pv.session_id and not eng.is_new_session
    assert nxt.is_new_session  # the engagement report did not keep the session alive


def test_engagement_reaches_back_an_hour_at_most() -> None:
    _, near, far = run([("pageview", T0), ("engagement", T0 + 59 * MIN), ("engagement", T0 + 60 * MIN)])
    assert near.session_id is not None and far.session_id is None


def test_event_older_than_lateness_is_flagged_and_not_merged() -> None:
    out = run([("pageview", T0), ("pageview", T0 + MIN)], received={1: T0 + MIN + 3601})
    assert out[1].is_late and out[1].session_id is None


def test_event_30_minutes_before_the_current_session_start_is_late() -> None:
    out = run([("pageview", T0), ("pageview", T0 - 30 * MIN)])
    assert out[1].is_late and out[1].session_id is None


def test_event_shortly_before_the_session_start_joins_it() -> None:
    """Two requests of one visitor can reach Kafka in either order."""
    custom, pageview, later = run([("custom", T0), ("pageview", T0 - 10 * MIN), ("pageview", T0 + MIN)])
    assert not pageview.is_late and not pageview.is_new_session
    assert pageview.session_id == custom.session_id == later.session_id
    assert later.seq == 3


def test_out_of_order_event_inside_the_session_is_merged() -> None:
    out = run([("pageview", T0), ("pageview", T0 + 10 * MIN), ("custom", T0 + 5 * MIN)])
    assert not out[2].is_late and out[2].session_id == out[0].session_id


def test_behaviour_rule_flags_too_many_events_in_a_window() -> None:
    out = run([("pageview", T0 + i) for i in range(7)])
    assert [p.too_fast for p in out] == [False] * 5 + [True, True]
    later = run([("pageview", T0 + i * 20) for i in range(7)])
    assert not any(p.too_fast for p in later)


def test_session_ids_are_deterministic() -> None:
    assert run([("pageview", T0)])[0].session_id == run([("pageview", T0)])[0].session_id
    assert sessions.session_id(KEY, T0) != sessions.session_id(b"other", T0)


def test_state_round_trip_and_expiry() -> None:
    _, state = sessions.place(None, key=KEY, kind="pageview", event_time=T0, received_at=T0, limits=LIMITS)
    assert state is not None and SessionState.from_json(state.to_json()) == state
    assert not sessions.expired(state, T0 + 119 * MIN, LIMITS.lateness)
    assert sessions.expired(state, T0 + 121 * MIN, LIMITS.lateness)


def test_uniques_by_utc_day() -> None:
    assert uniques.utc_day(datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC).timestamp()) + 1 == uniques.utc_day(
        datetime(2026, 11, 24, 0, 0, tzinfo=UTC).timestamp()
    )
    assert uniques.day_start(T0) == datetime(2026, 11, 23, tzinfo=UTC)
    assert uniques.is_unique("pageview", late=False, seen_today=False)
    assert not uniques.is_unique("pageview", late=False, seen_today=True)
    assert not uniques.is_unique("heartbeat", late=False, seen_today=False)
    assert not uniques.is_unique("custom", late=True, seen_today=False)


def test_redelivered_event_is_recognised_by_offset() -> None:
    from processors import state as st
    from schemas.events import EnrichedEvent, EventType, Vendor

    t = datetime.fromtimestamp(T0, UTC)
    ev = EnrichedEvent(
        event_id="e",
        vendor=Vendor.SWETRIX,
        site_id="a",
        event_type=EventType.PAGEVIEW,
        event_time=t,
        received_at=t,
        visitor_key="k",
    )
    first = st.apply(ev, KEY, None, LIMITS, offset=10)
    assert first.session is not None and first.session.offset == 10 and not first.redelivered
    again = st.apply(ev, KEY, first.session, LIMITS, offset=10)
    # Recognised, not applied twice, and emitted again exactly as the first time (its first
    # output may have been lost with a crashed worker).
    assert again.redelivered and again.session == first.session
    assert again.event == first.event
    older = st.apply(ev, KEY, first.session, LIMITS, offset=9)
    assert older.redelivered and older.event.session_id == first.event.session_id
    later = st.apply(ev.model_copy(update={"event_id": "f"}), KEY, first.session, LIMITS, offset=11)
    assert not later.redelivered and later.event.session_seq == 2


def test_expiry_waits_for_the_slowest_partition_and_for_partitions_without_events() -> None:
    received = {0: 5_000.0, 1: 9_000.0, 7: 1.0}
    assert sessions.expiry_watermark({0, 1}, received) == 5_000.0
    assert 7 not in received  # no longer this worker's
    assert sessions.expiry_watermark({0, 1, 2}, received) is None  # 2: backlog of unknown age
    assert sessions.expiry_watermark(set(), received) is None
