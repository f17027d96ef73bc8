"""Load events into ClickHouse through the sink's real insert path (cut into batches → land)."""

from __future__ import annotations

import threading
from typing import Any

from clickhouse_connect.driver.client import Client

from bench.sink_data import encoded
from schemas.events import EnrichedEvent
from sink.batch import Batch, Batcher
from sink.writer import land_batch, writers
from tests.support.messages import FakeMessage

# Every table whose contents must not change when a part is replayed, with a query that
# counts what an analyst would see in it.
COUNTS = {
    "events": "SELECT count() FROM events",
    "events_distinct": "SELECT uniqExact(event_id) FROM events",
    "sessions": "SELECT count(), sum(pageviews), countIf(is_bounce), sum(duration_seconds), sum(version),"
    " groupArraySorted(3)(entry_page), groupArraySorted(3)(exit_page) FROM sessions_view",
    "stats_hourly": "SELECT sum(pageviews), sum(events), sum(visitors), sum(sessions) FROM stats_hourly_view",
    "stats_daily": "SELECT sum(pageviews), sum(events), sum(visitors), sum(sessions) FROM stats_daily_view",
    "breakdown_daily": "SELECT dimension, sum(pageviews) FROM breakdown_daily_view"
    " GROUP BY dimension ORDER BY dimension",
    "custom_events_daily": "SELECT sum(events) FROM custom_events_daily_view",
    "filtered_hits": "SELECT sum(hits) FROM filtered_hits_daily",
}


def load(client: Client, evs: list[EnrichedEvent], topic: str, batch: int = 5000) -> None:
    """As if `evs` were read from partition 0 of `topic`: batches of `batch` offsets, each landed
    with a token naming its range (so loading the same events under the same name twice is a
    replay)."""
    tables = writers(client, threading.Lock())
    batcher = Batcher(window_offsets=100_000)
    batcher.assign((topic, 0))
    for offset, value in enumerate(encoded(evs)):
        batcher.take(FakeMessage(value, 0, offset, topic, _key=None))
        if (offset + 1) % batch == 0:
            assert not land_batch(Batch(batcher.cut()), tables)
    parts = batcher.cut()
    if parts:
        assert not land_batch(Batch(parts), tables)


def snapshot(query: Any) -> dict[str, Any]:
    """Every count in COUNTS, through `query(sql) -> rows`."""
    return {name: query(sql) for name, sql in COUNTS.items()}
