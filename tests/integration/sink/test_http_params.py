"""Bound query parameters through the sink's ClickHouse HTTP interface, as against a server.

A real clickhouse-connect HTTP client sends `{name:Type}` values as `param_<name>` URL parameters;
the interface (in-process, on a real chDB) must bind them, not take them for settings, and every
value must arrive unchanged: quotes, backslashes, tabs, newlines, unicode.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from common.clickhouse import connect
from sink.http_interface import HttpInterface, QueryGateway, query_parameters
from tests.support.services import free_port

pytestmark = pytest.mark.clickhouse

AWKWARD = [
    "plain",
    "it's",
    'say "hi"',
    "back\\slash",
    "trailing\\",
    "\\'",
    "tab\there",
    "new\nline",
    "cr\rlf\n",
    "zwölf € 日本語 🙂",
    "{p:String}",
    "",
    "%20&x=1#frag",
]


@pytest.fixture
def interface(ch_client: Client, unique: str, _chdb_path: Path) -> Iterator[str]:
    """The interface's address, serving a database with a table of AWKWARD words."""
    ch_client.command("CREATE TABLE words (w String, n UInt32) ENGINE = MergeTree ORDER BY n")
    ch_client.insert("words", [[w, i] for i, w in enumerate(AWKWARD)], column_names=["w", "n"])
    reader = connect(os.environ.get("CLICKHOUSE_URL") or f"chdb://{_chdb_path}", database=unique)
    http = HttpInterface(QueryGateway(reader, threading.Lock(), readonly=True), "127.0.0.1", free_port())
    http.start()
    yield http.address
    http.stop()
    reader.close()


@pytest.fixture
def http_client(interface: str, unique: str) -> Iterator[Client]:
    host, port = interface.removeprefix("http://").split(":")
    client = clickhouse_connect.get_client(host=host, port=int(port), database=unique)
    yield client
    client.close()


@pytest.mark.parametrize("value", AWKWARD)
def test_a_string_parameter_arrives_unchanged(http_client: Client, value: str) -> None:
    got = http_client.query("SELECT {v:String} AS v, length({v:String})", parameters={"v": value})
    assert got.result_rows == [(value, len(value.encode()))]


def test_a_bound_value_finds_the_row_that_holds_it(http_client: Client) -> None:
    for n, value in enumerate(AWKWARD):
        rows = http_client.query("SELECT n FROM words WHERE w = {w:String}", parameters={"w": value})
        assert rows.result_rows == [(n,)], value


def test_arrays_numbers_and_dates_bind_too(http_client: Client) -> None:
    got = http_client.query(
        "SELECT count() FROM words WHERE has({ws:Array(String)}, w) AND n < {lim:UInt32} "
        "AND {d:Date} = toDate('2026-12-01')",
        parameters={"ws": ["it's", "new\nline", "absent"], "lim": 100, "d": date(2026, 12, 1)},
    )
    assert got.result_rows == [(2,)]


def test_a_value_cannot_become_sql(http_client: Client) -> None:
    evil = "x' OR 1 = 1 OR w = '"
    rows = http_client.query("SELECT count() FROM words WHERE w = {w:String}", parameters={"w": evil})
    assert rows.result_rows == [(0,)]


def test_a_missing_parameter_is_a_client_error_not_a_setting(http_client: Client) -> None:
    with pytest.raises(Exception, match=r"(?i)substitution|parameter"):
        http_client.query("SELECT {absent:String}")


def test_parameters_are_passed_as_sent_and_not_taken_for_settings() -> None:
    params = {"param_a": "it\\'s", "param_b": "['x\\'y']", "max_threads": "2", "param_": "odd"}
    got = query_parameters("SELECT {a:String}, {b:Array(String)}", params)
    assert {k: str(v) for k, v in got.items()} == {"a": "it\\'s", "b": "['x\\'y']"}
    assert query_parameters("SELECT 1", params) == {}


def test_a_query_without_placeholders_ignores_parameters(interface: str, unique: str) -> None:
    """As a server does: `%` in the SQL is not taken for a client-side substitution."""
    sql = "SELECT count() FROM words WHERE w LIKE '%a%'"
    url = f"{interface}/?{urlencode({'query': sql, 'database': unique, 'param_unused': 'x'})}"
    with urlopen(url, timeout=30) as answer:
        assert answer.read().decode().strip() == str(sum("a" in w for w in AWKWARD))


def test_datetimes_bind(http_client: Client) -> None:
    when = datetime(2026, 12, 1, 12, 30, 15, 250000, tzinfo=UTC)
    got = http_client.query(
        "SELECT toUnixTimestamp64Milli({t:DateTime64(3, 'UTC')}), toUnixTimestamp({s:DateTime('UTC')})",
        parameters={"t": when, "s": when},
    )
    assert got.result_rows == [(int(when.timestamp() * 1000), int(when.timestamp()))]
