"""`hitstream query`: one query, printed in ClickHouse's own output formats."""

from __future__ import annotations

from clickhouse_connect.driver.exceptions import ClickHouseError

from common.clickhouse import ClickHouseUnavailable, connect, redact
from common.settings import SharedSettings

FORMATS = {
    "table": "PrettyCompactMonoBlock",
    "csv": "CSVWithNames",
    "json": "JSONEachRow",
    "tsv": "TSVWithNames",
}


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
    try:
        out = client.raw_query(sql.strip().rstrip(";"), fmt=FORMATS[fmt])
    except ClickHouseError as exc:
        raise QueryFailed(f"ClickHouse at {redact(dsn)} refused the query: {exc}") from exc
    finally:
        client.close()
    return out.decode("utf-8", errors="replace")
