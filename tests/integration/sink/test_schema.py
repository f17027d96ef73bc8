"""The schema on real ClickHouse (chDB): replays dropped everywhere, derived tables equal to
`events`, refusals, retention, migrations."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from bench.analytics_checks import mismatches
from bench.sink_data import events
from sink import migrate
from sink.batch import decode
from sink.rows import Record, RowError
from sink.writer import EVENTS, land, writers
from tests.integration.sink.loading import load, snapshot

pytestmark = pytest.mark.clickhouse
DERIVED = [
    "sessions",
    "stats_hourly",
    "visitor_days",
    "breakdown_daily",
    "custom_events_daily",
    "filtered_hits",
]


def _counts(client: Client) -> dict[str, Any]:
    return snapshot(lambda sql: client.query(sql).result_rows)


def test_a_replayed_part_changes_no_count_anywhere(ch_client: Client) -> None:
    evs = events(3000, seed=11)
    load(ch_client, evs, "batch")
    before = _counts(ch_client)
    assert before["events"] == [(sum(1 for e in evs if not e.filtered_reason),)]
    load(ch_client, evs, "batch")  # same ranges, same tokens: dropped by insert deduplication, views included
    assert _counts(ch_client) == before


def test_materialized_views_drop_a_replayed_block_too(ch_client: Client) -> None:
    """Physical rows of every table a part writes to, merges stopped: only a duplicate block could
    add rows. The same events under another token are counted again: counts are plain counts,
    and exactly-once is the sink's job (re-cutting replays exactly)."""
    for t in ["events", *DERIVED]:
        ch_client.command(f"SYSTEM STOP MERGES {t}")
    evs = events(1500, seed=14)
    load(ch_client, evs, "same")

    def physical() -> dict[str, int]:
        return {t: int(ch_client.command(f"SELECT count() FROM {t}")) for t in ["events", *DERIVED]}  # type: ignore[arg-type]

    before = physical()
    assert all(before.values())
    load(ch_client, evs, "same")
    assert physical() == before
    load(ch_client, evs, "different")  # a different token is a new block: proves the check can fail
    assert physical()["stats_hourly"] > before["stats_hourly"]


def test_every_derived_table_equals_the_same_question_asked_of_events(ch_client: Client) -> None:
    load(ch_client, events(6000, seed=15), "exact", batch=700)
    assert mismatches(lambda sql: ch_client.query(sql).result_rows) == {}
    sessions = ch_client.query(
        "SELECT count(), uniqExact(site_id, session_key) FROM sessions_view"
    ).result_rows
    assert sessions[0][0] == sessions[0][1] > 0, "one row per session once versions fold"


def test_clickhouse_refuses_an_event_from_the_far_future_and_its_batch_mates_land(ch_client: Client) -> None:
    evs = events(40, seed=13)
    evs = [e for e in evs if not e.filtered_reason]
    bad = evs[17].model_copy(update={"event_time": evs[17].received_at.replace(year=2099)})
    with pytest.raises(RowError, match="more than a day in the future"):  # the sink's check, first
        decode(bad.model_dump_json().encode(), 0, 17)
    # The constraint is the last line of defence: a row past the check is refused by ClickHouse.
    rows = [decode(e.model_dump_json().encode(), 0, i)[1] for i, e in enumerate(evs)]
    rows[17] = Record(bad, rows[17].event_id, 0, 17)
    refused = land(rows, "tok", writers(ch_client, threading.Lock())[EVENTS].insert)
    assert [i for i, _ in refused] == [17]
    assert "VIOLATED_CONSTRAINT" in refused[0][1]
    assert ch_client.query("SELECT count() FROM events").result_rows == [(len(evs) - 1,)]


def test_retention_is_applied_from_a_setting_and_removable(ch_client: Client) -> None:
    def engine() -> str:
        return str(
            ch_client.command(
                "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'"
            )
        )

    migrate.apply_retention(ch_client, 30)
    assert "TTL toDateTime(event_time) + toIntervalDay(30)" in engine()
    migrate.apply_retention(ch_client, 0)
    assert " TTL " not in engine()


def test_migrations_are_applied_once_and_a_fresh_database_keeps_no_legacy_tables(ch_client: Client) -> None:
    assert migrate.apply_with(ch_client) == []
    versions = ch_client.query("SELECT version FROM schema_migrations ORDER BY version").result_rows
    assert [v for (v,) in versions] == [m.version for m in migrate.discover()]
    legacy = ch_client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'legacy_')"
    ).result_rows
    assert legacy == []
