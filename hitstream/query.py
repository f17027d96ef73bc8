"""`hitstream query`: one query, printed in ClickHouse's own output formats.

ClickHouse prints nothing at all for an empty result in its Pretty (table) and JSONEachRow formats.
So that "no rows" never looks like "nothing happened", an empty table is replaced by the result's
column header and a `0 rows` line; CSV and TSV carry their header line anyway; JSON lines stay
empty on stdout (the CLI says `0 rows` on stderr, so the output remains valid JSON lines).
"""

from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from common.clickhouse import ClickHouseUnavailable, connect, redact
from common.settings import SharedSettings

FORMATS = {
    "table": "PrettyCompactMonoBlock",
    "csv": "CSVWithNames",
    "json": "JSONEachRow",
    "tsv": "TSVWithNames",
}
# Statements that only read; for them, the header of an empty table may be asked for again.
_SELECT = re.compile(r"^\s*(\(|SELECT\b|WITH\b)", re.IGNORECASE)
_READ_ONLY = re.compile(r"^\s*(SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN)\b", re.IGNORECASE)
_TSV_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\\\": "\\"}


class QueryFailed(RuntimeError):
    """The query could not run; the message says why."""


def run_query(sql: str, fmt: str = "table", shared: SharedSettings | None = None) -> str:
    shared = shared or SharedSettings()
    dsn = shared.clickhouse_reader_dsn
    try:
        client = connect(dsn, database=shared.clickhouse_database)
    except ClickHouseUnavailable as exc:
        hint = " Is the pipeline running (`./run up`)?" if dsn == "http://127.0.0.1:8123" else ""
        raise QueryFailed(f"{exc}.{hint}") from exc
    sql = sql.strip().rstrip(";")
    try:
        out = client.raw_query(sql, fmt=FORMATS[fmt]).decode("utf-8", errors="replace")
        if fmt == "table" and not out:
            out = empty_table(_column_names(client, sql))
    except ClickHouseError as exc:
        raise QueryFailed(f"ClickHouse at {redact(dsn)} refused the query: {exc}") from exc
    finally:
        client.close()
    return out


def _column_names(client: Client, sql: str) -> list[str]:
    """The columns of a query that returned no rows, without running anything that could write:
    a SELECT is wrapped in `LIMIT 0`; other read-only statements run again; anything else has none."""
    if _SELECT.match(sql):
        header_sql = f"SELECT * FROM (\n{sql}\n) LIMIT 0"
    elif _READ_ONLY.match(sql):
        header_sql = sql
    else:
        return []
    try:
        first = client.raw_query(header_sql, fmt="TSVWithNames").decode("utf-8", errors="replace")
    except ClickHouseError:
        return []  # e.g. a FORMAT or SETTINGS clause that does not nest: the row count still holds
    line = first.split("\n", 1)[0]
    if not line:
        return []
    return [re.sub(r"\\[tn\\]", lambda m: _TSV_ESCAPES[m.group()], name) for name in line.split("\t")]


def empty_table(columns: list[str]) -> str:
    """The header of an empty result in the table format's box style, then `0 rows`."""
    if not columns:
        return "0 rows\n"
    top = "┬".join(f"─{c}─" for c in columns)
    bottom = "┴".join("─" * (len(c) + 2) for c in columns)
    return f"┌{top}┐\n└{bottom}┘\n0 rows\n"
