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
from clickhouse_connect.driver.client import Client

from bench.sink_data import events
from common.clickhouse import connect
from common.settings import SharedSettings
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
