"""Sessions, uniqueness, lateness and the behaviour rule with hand-picked timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.rules import sessions
from processors.rules.sessions import Day, Limits

KEY = b"example|abc"
LIMITS = Limits(lateness=timedelta(hours=1), rate_window=timedelta(seconds=60), rate_max_events=5)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
MIN = 60.0
HOUR = 3600.0


def run(
    events: list[tuple[str, float]],
    received: dict[int, float] | None = None,
    standalone: set[int] | None = None,
) -> list[sessions.Placement]:
    days: dict[int, Day] = {}
    out = []
    for i, (kind, t) in enumerate(events):
        placement, changed = sessions.place(
            days,
            key=KEY,
            kind=kind,
            event_time=t,
            received_at=(received or {}).get(i, t),
            limits=LIMITS,
            standalone_id=f"e{i}" if i in (standalone or set()) else None,
        )
        days.update(changed)
        out.append(placement)
    return out


def test_gap_just_under_30_minutes_continues_the_session() -> None:
    a, b = run([("pageview", T0), ("pageview", T0 + 30 * MIN - 0.001)])
    assert a.is_new_session and not b.is_new_session and a.session_id == b.session_id
    assert (a.seq, b.seq) == (1, 2)


def test_gap_of_exactly_30_minutes_starts_a_new_session() -> None:
    a, b = run([("pageview", T0), ("pageview", T0 + 30 * MIN)])
    assert b.is_new_session and a.session_id != b.session_id and b.seq == 1


def test_session_spanning_midnight_stays_one_session_and_counts_the_new_day() -> None:
    before = datetime(2026, 11, 23, 23, 50, tzinfo=UTC).timestamp()
    a, hb, b, c = run(
        [("pageview", before), ("heartbeat", before + 12 * MIN), ("pageview", before + 15 * MIN),
         ("custom", before + 25 * MIN)]
    )  # fmt: skip
    assert a.session_id == hb.session_id == b.session_id == c.session_id and c.seq == 4
    assert (a.is_unique, hb.is_unique, b.is_unique, c.is_unique) == (True, False, True, False)


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


def test_error_reports_extend_a_session_like_heartbeats() -> None:
    pv, err, later = run([("pageview", T0), ("error", T0 + 25 * MIN), ("pageview", T0 + 50 * MIN)])
    assert pv.session_id == err.session_id == later.session_id and not err.is_unique
    (alone,) = run([("error", T0)])
    assert alone.session_id is None


def test_heartbeat_only_visit_has_no_session() -> None:
    out = run([("heartbeat", T0), ("heartbeat", T0 + MIN)])
    assert all(p.session_id is None and not p.is_new_session and not p.is_unique for p in out)


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


def test_an_hour_old_event_is_placed_by_its_own_time_not_flagged_late() -> None:
    """HitKeep replays history: event time decides, however late it arrives."""
    a, b = run([("pageview", T0), ("pageview", T0 + MIN)], received={0: T0 + 5 * HOUR, 1: T0 + 5 * HOUR})
    assert not a.is_late and not b.is_late and a.session_id == b.session_id and a.is_unique


def test_a_backfill_of_last_month_gets_sessions_and_uniques_as_live_traffic() -> None:
    month_ago = T0 - 30 * 24 * HOUR
    visit = [("pageview", month_ago), ("pageview", month_ago + 5 * MIN), ("pageview", month_ago + 2 * HOUR)]
    live = run(visit)
    replayed = run(visit, received={i: T0 + i for i in range(3)})
    assert replayed == live
    assert [p.is_new_session for p in live] == [True, False, True] and [p.is_unique for p in live] == [
        True, False, False,
    ]  # fmt: skip


def test_event_30_minutes_before_the_current_session_start_is_late() -> None:
    out = run([("pageview", T0), ("pageview", T0 - 30 * MIN)])
    assert out[1].is_late and out[1].session_id is None and not out[1].is_unique


def test_event_shortly_before_the_session_start_joins_it() -> None:
    """Two requests of one visitor can reach Kafka in either order."""
    custom, pageview, later = run([("custom", T0), ("pageview", T0 - 10 * MIN), ("pageview", T0 + MIN)])
    assert not pageview.is_late and not pageview.is_new_session
    assert pageview.session_id == custom.session_id == later.session_id
    assert later.seq == 3


def test_out_of_order_event_inside_the_session_is_merged() -> None:
    out = run([("pageview", T0), ("pageview", T0 + 10 * MIN), ("custom", T0 + 5 * MIN)])
    assert not out[2].is_late and out[2].session_id == out[0].session_id


def test_a_visitor_returning_the_same_day_is_unique_once() -> None:
    out = run([("pageview", T0), ("pageview", T0 + 6 * HOUR)], received={1: T0 + 6 * HOUR})
    assert [p.is_unique for p in out] == [True, False] and out[1].is_new_session


def test_a_day_is_forgotten_once_out_of_reach_by_arrival() -> None:
    midnight = T0 + 12 * HOUR
    late = midnight + LIMITS.retain + 1  # arrives after the day (and its reach) is over
    out = run([("pageview", T0), ("pageview", T0 + MIN)], received={1: late})
    assert out[1].is_unique and out[1].is_new_session  # judged against fresh state


def test_standalone_hits_are_sessions_of_their_own_but_count_uniques_by_visitor() -> None:
    out = run([("pageview", T0), ("pageview", T0 + MIN), ("pageview", T0 + 2 * MIN)], standalone={0, 1, 2})
    assert len({p.session_id for p in out}) == 3 and all(p.is_new_session and p.seq == 1 for p in out)
    assert [p.is_unique for p in out] == [True, False, False]


def test_behaviour_rule_flags_too_many_events_in_a_window() -> None:
    out = run([("pageview", T0 + i) for i in range(7)])
    assert [p.too_fast for p in out] == [False] * 5 + [True, True]
    later = run([("pageview", T0 + i * 20) for i in range(7)])
    assert not any(p.too_fast for p in later)


def test_session_ids_are_deterministic() -> None:
    assert run([("pageview", T0)])[0].session_id == run([("pageview", T0)])[0].session_id
    assert sessions.session_id(KEY, T0) != sessions.session_id(b"other", T0)


def test_expiry_after_the_day_and_its_reach() -> None:
    _, changed = sessions.place({}, key=KEY, kind="pageview", event_time=T0, received_at=T0, limits=LIMITS)
    midnight = T0 + 12 * HOUR
    assert not sessions.expired(changed, T0 + 3 * HOUR, LIMITS)  # session over, day not
    assert not sessions.expired(changed, midnight + LIMITS.retain - 1, LIMITS)
    assert sessions.expired(changed, midnight + LIMITS.retain + 1, LIMITS)


def test_utc_days() -> None:
    assert sessions.utc_day(
        datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC).timestamp()
    ) + 1 == sessions.utc_day(datetime(2026, 11, 24, 0, 0, tzinfo=UTC).timestamp())


def test_expiry_waits_for_the_slowest_partition_and_for_partitions_without_events() -> None:
    received = {0: 5_000.0, 1: 9_000.0, 7: 1.0}
    assert sessions.expiry_watermark({0, 1}, received) == 5_000.0
    assert 7 not in received  # no longer this worker's
    assert sessions.expiry_watermark({0, 1, 2}, received) is None  # 2: backlog of unknown age
    assert sessions.expiry_watermark(set(), received) is None
