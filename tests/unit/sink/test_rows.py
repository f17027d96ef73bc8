from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from bench.sink_data import events
from schemas.events import EnrichedEvent, EventType, Vendor
from sink.rows import COLUMNS, FILTERED_COLUMNS, RowError, to_filtered_row, to_row

T = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _event(**kw: object) -> EnrichedEvent:
    base: dict[str, object] = dict(
        event_id="0190b8a0-0000-7000-8000-000000000001",
        vendor=Vendor.SWETRIX,
        site_id="s",
        event_type=EventType.PAGEVIEW,
        event_time=T,
        received_at=T,
        visitor_key="v",
    )
    return EnrichedEvent(**{**base, **kw})  # type: ignore[arg-type]


def test_row_has_one_value_per_column_for_every_sample_event() -> None:
    for e in events(200):
        assert len(to_row(e, 1, 2)) == len(COLUMNS)


def test_missing_text_becomes_empty_and_missing_measurements_stay_null() -> None:
    row = dict(zip(COLUMNS, to_row(_event(), 3, 42), strict=True))
    assert row["event_id"] == UUID("0190b8a0-0000-7000-8000-000000000001")
    assert row["page_path"] == "" and row["country"] == "" and row["asn"] == 0
    assert row["value"] is None and row["perf_ttfb"] is None and row["client_unique"] is None
    assert (row["kafka_partition"], row["kafka_offset"]) == (3, 42)


@pytest.mark.parametrize(
    "field,value", [("screen_width", 70_000), ("session_seq", 2**32), ("asn", -1), ("viewport_height", -5)]
)
def test_numbers_that_do_not_fit_their_column_are_refused_not_clamped(field: str, value: int) -> None:
    with pytest.raises(RowError, match=field):
        to_row(_event(**{field: value}), 0, 0)


def test_filtered_hit_row() -> None:
    row = to_filtered_row(_event(filtered_reason="bot"))
    assert len(row) == len(FILTERED_COLUMNS) and row[-1] == "bot" and row[2] == "swetrix"
