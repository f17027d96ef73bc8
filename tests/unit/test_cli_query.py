"""`hitstream query` on empty results, against a fake client (the real ClickHouse runs are in
tests/integration/sink/test_query_cli.py)."""

from __future__ import annotations

from typing import Any

import pytest

from common.settings import SharedSettings
from hitstream import query
from hitstream.query import empty_table, run_query


class FakeClient:
    """Answers nothing for the query itself and a TSV header for whatever asks for columns."""

    def __init__(self, header: bytes = b"day\tpageviews\n") -> None:
        self.header = header
        self.sent: list[tuple[str, str]] = []

    def raw_query(self, sql: str, fmt: str, **_: Any) -> bytes:
        self.sent.append((sql, fmt))
        return self.header if fmt == "TSVWithNames" else b""

    def close(self) -> None:
        pass


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    fake = FakeClient()
    monkeypatch.setattr(query, "connect", lambda *a, **k: fake)
    return fake


SHARED = SharedSettings(CLICKHOUSE_QUERY_URL="http://127.0.0.1:1")  # type: ignore[call-arg]


def test_an_empty_select_asks_for_its_columns_with_limit_0(client: FakeClient) -> None:
    out = run_query("SELECT day, pageviews FROM t WHERE 0 -- none;", "table", SHARED)
    assert out == "┌─day─┬─pageviews─┐\n└─────┴───────────┘\n0 rows\n"
    sql, fmt = client.sent[-1]
    assert fmt == "TSVWithNames" and sql.startswith("SELECT * FROM (\n") and sql.endswith("\n) LIMIT 0")


def test_a_statement_that_may_write_is_never_run_twice(client: FakeClient) -> None:
    assert run_query("INSERT INTO t SELECT 1", "table", SHARED) == "0 rows\n"
    assert len(client.sent) == 1


def test_json_stays_empty_and_other_formats_are_not_rerun(client: FakeClient) -> None:
    assert run_query("SELECT 1 WHERE 0", "json", SHARED) == ""
    assert run_query("SELECT 1 WHERE 0", "csv", SHARED) == ""
    assert len(client.sent) == 2


def test_empty_table_without_columns_still_says_0_rows() -> None:
    assert empty_table([]) == "0 rows\n"
    assert empty_table(["a"]) == "┌─a─┐\n└───┘\n0 rows\n"
