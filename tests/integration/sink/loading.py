"""Load events into ClickHouse through the sink's real insert path (decode → rows → land)."""

from __future__ import annotations

import threading
from typing import Any

from clickhouse_connect.driver.client import Client

from bench.sink_data import encoded
from schemas.events import EnrichedEvent
from sink.batch import decode
from sink.rows import Record
from sink.writer import EVENTS, FILTERED, land, writers

# Every table whose contents must not change when a batch is replayed, with a query that
# counts what an analyst would see in it (no FINAL: the -Merge functions must be enough).
COUNTS = {
    "events": "SELECT count() FROM events FINAL",
    "events_distinct": "SELECT uniqExact(event_id) FROM events",
    "sessions": "SELECT count(), sum(pageviews), sum(events), countIf(is_bounce), sum(duration_seconds),"
    " groupArraySorted(3)(entry_page), groupArraySorted(3)(exit_page) FROM sessions_view",
    "stats_hourly": "SELECT sum(pageviews), sum(events), sum(visitors), sum(sessions) FROM stats_hourly_view",
    "stats_daily": "SELECT sum(pageviews), sum(events), sum(visitors), sum(sessions) FROM stats_daily_view",
    "breakdown_daily": "SELECT dimension, sum(pageviews), sum(visitors) FROM breakdown_daily_view"
    " GROUP BY dimension ORDER BY dimension",
    "custom_events_daily": "SELECT sum(events), sum(visitors) FROM custom_events_daily_view",
    "filtered_hits": "SELECT sum(hits) FROM filtered_hits_daily",
}


def load(client: Client, evs: list[EnrichedEvent], token: str, batch: int = 5000) -> None:
    tables = writers(client, threading.Lock())
    values = encoded(evs)
    for start in range(0, len(values), batch):
        rows: dict[str, list[Record]] = {"events": [], "filtered": []}
        for i, v in enumerate(values[start : start + batch], start):
            table, record = decode(v, 0, i)
            rows[table].append(record)
        assert not land(rows["events"], f"{token}-{start}", tables[EVENTS].insert)
        assert not land(rows["filtered"], f"{token}-{start}", tables[FILTERED].insert)


def snapshot(query: Any) -> dict[str, Any]:
    """Every count in COUNTS, through `query(sql) -> rows`."""
    return {name: query(sql) for name, sql in COUNTS.items()}
