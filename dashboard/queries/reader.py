"""The one place the dashboard talks to ClickHouse: bound parameters, a lock for chDB, typed errors."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from dashboard.errors import QueryFailed


class Sql:
    """Runs read queries with `{name:Type}` placeholders, every value passed as `parameters`.

    An embedded chDB client is one engine handle and not safe to share between threads, so its
    queries take a lock; an HTTP client is (clickhouse-connect pools its connections).
    """

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock: AbstractContextManager[Any] = (
            threading.Lock() if type(client).__name__ == "ChdbClient" else nullcontext()
        )

    def rows(self, query: str, parameters: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        try:
            with self._lock:
                return self._client.query(query, parameters=dict(parameters)).result_rows
        except ClickHouseError as exc:
            raise QueryFailed(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)) from exc

    def ping(self) -> bool:
        try:
            with self._lock:
                return bool(self._client.ping())
        except ClickHouseError:
            return False
