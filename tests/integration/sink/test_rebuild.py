"""Upgrading a database that holds data: migrations 0007/0008 keep the old rollups as legacy_*,
and `hitstream rebuild-rollups` fills the new tables from `events`, the same every time."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client

from bench.analytics_checks import mismatches
from bench.sink_data import encoded, events
from common.clickhouse import connect
from hitstream.cli import main
from sink import migrate
from sink.batch import decode
from sink.rebuild import rebuild
from sink.rows import COLUMNS, FILTERED_COLUMNS, Record, event_columns, filtered_columns
from sink.writer import TableWriter, land
from tests.integration.sink.loading import load, snapshot

pytestmark = pytest.mark.clickhouse
DERIVED = ["sessions", "stats_hourly", "visitor_days", "breakdown_daily", "custom_events_daily"]


@pytest.fixture
def old_database(_chdb_path: Path, unique: str, tmp_path: Path) -> Iterator[tuple[str, Client]]:
    """A database migrated up to 0006 only, holding events (and the old rollups fed from them)."""
    dsn = os.environ.get("CLICKHOUSE_URL") or f"chdb://{_chdb_path}"
    for m in sorted(migrate.MIGRATIONS_DIR.glob("*.sql"))[:6]:
        shutil.copy(m, tmp_path / m.name)
    connect(dsn).command(f"CREATE DATABASE `{unique}`")
    client = connect(dsn, database=unique)
    migrate.apply_with(client, tmp_path)
    lock = threading.Lock()
    tables = {
        "events": TableWriter(client, lock, "events", COLUMNS, event_columns),
        "filtered": TableWriter(client, lock, "filtered_hits_queue", FILTERED_COLUMNS, filtered_columns),
    }
    rows: dict[str, list[Record]] = {"events": [], "filtered": []}
    for i, value in enumerate(encoded(events(4000, seed=51))):
        table, record = decode(value, 0, i)
        rows[table].append(record)
    for table, records in rows.items():
        assert not land(records, "old", tables[table].insert)
    yield dsn, client
    client.command(f"DROP DATABASE IF EXISTS `{unique}`")


def test_an_old_database_keeps_its_rollups_and_the_rebuild_fills_the_new_tables(
    old_database: tuple[str, Client],
) -> None:
    _, client = old_database
    old_pageviews = client.query("SELECT sum(pageviews) FROM stats_daily_view").result_rows
    migrate.apply_with(client)
    legacy = client.query("SELECT sum(pageviews) FROM (SELECT uniqExactMerge(pageviews) AS pageviews "
                          "FROM legacy_stats_daily GROUP BY site_id, day)").result_rows  # fmt: skip
    assert legacy == old_pageviews, "the old rollups are kept, renamed"
    assert all(client.command(f"SELECT count() FROM {t}") == 0 for t in DERIVED)

    rebuild(client)
    query = lambda sql: client.query(sql).result_rows  # noqa: E731
    assert mismatches(query) == {}
    filtered_old = client.query(
        "SELECT sum(hits) FROM (SELECT uniqExactMerge(hits) AS hits "
        "FROM legacy_filtered_hits GROUP BY site_id, day, vendor, reason)"
    ).result_rows
    assert client.query("SELECT sum(hits) FROM filtered_hits_daily").result_rows == filtered_old
    first = snapshot(query)
    rebuild(client)
    assert snapshot(query) == first, "running it again changes nothing"


def test_rebuilt_sessions_match_the_ones_the_sink_wrote(ch_client: Client) -> None:
    """On events whose snapshots agree with the events (the sample data), deriving sessions from
    events gives what the snapshots gave."""
    load(ch_client, events(3000, seed=52), "live")
    query = lambda sql: ch_client.query(sql).result_rows  # noqa: E731
    live = snapshot(query)
    for t in DERIVED:
        ch_client.command(f"TRUNCATE TABLE {t}")
    rebuild(ch_client)
    assert snapshot(query) == live


def test_the_command_line_rebuilds_after_migrating(old_database: tuple[str, Client], unique: str) -> None:
    dsn, client = old_database
    env = {"CLICKHOUSE_URL": dsn, "HITSTREAM_CLICKHOUSE_DATABASE": unique}
    out = CliRunner().invoke(main, ["rebuild-rollups"], env=env, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "sessions\t" in out.output and "stats_hourly\t" in out.output
    assert mismatches(lambda sql: client.query(sql).result_rows) == {}
