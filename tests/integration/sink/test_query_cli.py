"""`hitstream query` against the ClickHouse HTTP interface the sink serves (here: in-process)."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client

from bench.sink_data import events
from common.clickhouse import connect
from common.settings import SharedSettings
from hitstream.cli import main
from hitstream.query import QueryFailed, run_query
from sink.http_interface import HttpInterface, QueryGateway
from tests.integration.sink.loading import load
from tests.support.services import free_port

pytestmark = pytest.mark.clickhouse
SQL = "SELECT day, pageviews FROM stats_daily_view WHERE site_id = 'example' ORDER BY day"


@pytest.fixture
def shared(ch_client: Client, unique: str, _chdb_path: Path) -> Iterator[SharedSettings]:
    load(ch_client, events(500, seed=41), "q")
    # The gateway needs a client of its own: chDB keeps `readonly` on the client's session.
    reader = connect(os.environ.get("CLICKHOUSE_URL") or f"chdb://{_chdb_path}", database=unique)
    http = HttpInterface(QueryGateway(reader, threading.Lock(), readonly=True), "127.0.0.1", free_port())
    http.start()
    yield SharedSettings(CLICKHOUSE_QUERY_URL=http.address, HITSTREAM_CLICKHOUSE_DATABASE=unique)  # type: ignore[call-arg]
    http.stop()
    reader.close()


def test_table_is_readable(shared: SharedSettings) -> None:
    out = run_query(SQL, "table", shared)
    assert out.splitlines()[0].strip().startswith("┌─") and "pageviews" in out.splitlines()[0]


def test_csv_and_json_carry_the_same_rows(shared: SharedSettings) -> None:
    rows = list(csv.DictReader(io.StringIO(run_query(SQL, "csv", shared))))
    objs = [json.loads(line) for line in run_query(SQL, "json", shared).splitlines()]
    assert rows and [int(r["pageviews"]) for r in rows] == [int(o["pageviews"]) for o in objs]
    assert run_query(SQL, "tsv", shared).splitlines()[0] == "day\tpageviews"


def test_a_bad_query_says_why(shared: SharedSettings) -> None:
    with pytest.raises(QueryFailed, match=r"UNKNOWN_TABLE|Unknown table"):
        run_query("SELECT * FROM no_such_table", "table", shared)


def test_writes_are_refused_through_the_reader_interface(shared: SharedSettings) -> None:
    with pytest.raises(QueryFailed, match=r"readonly|READONLY"):
        run_query("DROP TABLE events", "table", shared)


EMPTY = "SELECT day, pageviews FROM stats_daily_view WHERE site_id = 'no-such-site' ORDER BY day"


def test_an_empty_table_shows_its_header_and_says_0_rows(shared: SharedSettings) -> None:
    lines = run_query(EMPTY, "table", shared).splitlines()
    assert lines[0] == "┌─day─┬─pageviews─┐" and lines[-1] == "0 rows"


def test_empty_csv_and_tsv_keep_their_header_line(shared: SharedSettings) -> None:
    assert run_query(EMPTY, "csv", shared).splitlines() == ['"day","pageviews"']
    assert run_query(EMPTY, "tsv", shared).splitlines() == ["day\tpageviews"]
    assert run_query(EMPTY, "json", shared) == ""


def test_an_empty_show_has_its_header_too(shared: SharedSettings) -> None:
    out = run_query("SHOW TABLES LIKE 'no_such_%'", "table", shared)
    assert out.splitlines()[-1] == "0 rows" and "name" in out.splitlines()[0]


def test_the_cli_says_0_rows_for_every_format(shared: SharedSettings) -> None:
    env = {"CLICKHOUSE_QUERY_URL": shared.clickhouse_reader_dsn,
           "HITSTREAM_CLICKHOUSE_DATABASE": shared.clickhouse_database}  # fmt: skip
    table = CliRunner().invoke(main, ["query", EMPTY], env=env)
    assert table.exit_code == 0 and table.stdout.splitlines()[-1] == "0 rows" and "pageviews" in table.stdout
    js = CliRunner().invoke(main, ["query", "--format", "json", EMPTY], env=env)
    assert js.exit_code == 0 and js.stdout == "" and js.stderr.strip() == "0 rows"
    full = CliRunner().invoke(main, ["query", "--format", "json", SQL], env=env)
    assert full.exit_code == 0 and full.stdout and full.stderr == ""
