from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from bench.sink_data import events
from schemas.events import EnrichedEvent, EventType, SessionSnapshot, Vendor
from sink.rows import (
    COLUMNS,
    FILTERED_COLUMNS,
    SESSION_COLUMNS,
    RowError,
    check,
    event_columns,
    filtered_columns,
    latest_sessions,
    session_columns,
)

T = datetime(2026, 5, 1, 12, tzinfo=UTC)
ID = "0190b8a0-0000-7000-8000-000000000001"


def _event(**kw: object) -> EnrichedEvent:
    base: dict[str, object] = dict(
        event_id=ID, vendor=Vendor.SWETRIX, site_id="s", event_type=EventType.PAGEVIEW,
        event_time=T, received_at=T, visitor_key="v",
    )  # fmt: skip
    return EnrichedEvent(**{**base, **kw})  # type: ignore[arg-type]


def _row(e: EnrichedEvent, partition: int = 3, offset: int = 42) -> dict[str, Any]:
    cols = event_columns([check(e, partition, offset)])
    return {name: col[0] for name, col in zip(COLUMNS, cols, strict=True)}


def test_columns_are_complete_and_aligned_for_every_sample_event() -> None:
    records = [check(e, 1, i) for i, e in enumerate(events(300))]
    cols = event_columns(records)
    assert len(cols) == len(COLUMNS) and all(len(c) == len(records) for c in cols)
    by_name = dict(zip(COLUMNS, cols, strict=True))
    assert by_name["kafka_offset"] == list(range(300))
    assert [UUID(int=i) for i in by_name["event_id"]] == [UUID(r.event.event_id) for r in records]
    assert by_name["page_path"] == [r.event.page_path or "" for r in records]


def test_missing_text_becomes_empty_and_missing_measurements_stay_null() -> None:
    row = _row(_event())
    assert UUID(int=row["event_id"]) == UUID(ID)
    assert row["page_path"] == "" and row["country"] == "" and row["asn"] == 0 and row["vendor"] == "swetrix"
    assert row["value"] is None and row["perf_ttfb"] is None and row["client_unique"] is None
    assert (row["kafka_partition"], row["kafka_offset"]) == (3, 42)


@pytest.mark.parametrize(
    "field,value", [("screen_width", 70_000), ("session_seq", 2**32), ("asn", -1), ("viewport_height", -5)]
)
def test_numbers_that_do_not_fit_their_column_are_refused_not_clamped(field: str, value: int) -> None:
    # model_copy skips validation: the contract refuses some of these already (pixels), the sink
    # must still refuse them in a message it did not validate that way (an older producer).
    with pytest.raises(RowError, match=field):
        check(_event().model_copy(update={field: value}), 0, 0)


@pytest.mark.parametrize("bad", ["x", "0190b8a0-0000-7000-8000-00000000000g", "0190b8a0" * 5])
def test_an_event_id_that_is_not_a_uuid_is_refused(bad: str) -> None:
    with pytest.raises(RowError, match="event_id"):
        check(_event(event_id=bad), 0, 0)


def test_filtered_hit_columns() -> None:
    cols = filtered_columns([check(_event(filtered_reason="bot"), 0, 0)])
    assert len(cols) == len(FILTERED_COLUMNS) and cols[-1] == ["bot"] and cols[2] == ["swetrix"]


def _snap(pageviews: int, exit_page: str) -> SessionSnapshot:
    return SessionSnapshot(started=T, last_seen=T, pageviews=pageviews, entry_page="/", exit_page=exit_page,
                           country="DE", device_type="mobile")  # fmt: skip


def test_sessions_keep_the_latest_version_of_each_and_skip_bots_and_sessionless_events() -> None:
    records = [
        check(_event(event_id=f"0190b8a0-0000-7000-8000-00000000000{i}", session_id=sid, session_seq=seq,
                     is_bot=bot, session=_snap(seq, f"/p{seq}") if sid else None), 0, i)
        for i, (sid, seq, bot) in enumerate([("a", 1, False), ("a", 3, False), ("a", 2, False),
                                             ("b", 1, False), ("c", 4, True), (None, 0, False)])
    ]  # fmt: skip
    latest = latest_sessions(records)
    assert [(r.event.session_id, r.event.session_seq) for r in latest] == [("a", 3), ("b", 1)]
    cols = dict(zip(SESSION_COLUMNS, session_columns(latest), strict=True))
    assert cols["version"] == [3, 1] and cols["exit_page"] == ["/p3", "/p1"] and cols["region"] == ["", ""]
    assert cols["started"] == [T, T] and cols["device_type"] == ["mobile", "mobile"]


def test_a_session_count_that_does_not_fit_is_refused() -> None:
    with pytest.raises(RowError, match="pageviews"):
        check(_event(session_id="a", session_seq=1, session=_snap(2**32, "/")), 0, 0)
