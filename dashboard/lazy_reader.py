"""A `Reader` that connects on first use, so the dashboard starts before ClickHouse is up.

clickhouse-connect asks the server for its version when a client is made, which fails while
ClickHouse (or, locally, the sink's HTTP interface) is still starting; until a connection
succeeds, `ping` says False (`/readyz` answers 503) and a query raises `QueryFailed` (503).
"""

from __future__ import annotations

import threading
from typing import Any

from common.clickhouse import ClickHouseUnavailable, connect
from dashboard.errors import QueryFailed
from dashboard.queries import Reader


class LazyReader:
    def __init__(self, dsn: str, database: str) -> None:
        self._dsn = dsn
        self._database = database
        self._reader: Reader | None = None
        self._lock = threading.Lock()

    def _get(self) -> Reader:
        with self._lock:
            if self._reader is None:
                try:
                    client = connect(self._dsn, database=self._database)
                except (ClickHouseUnavailable, OSError) as exc:
                    raise QueryFailed(str(exc)) from exc
                self._reader = Reader(client)
            return self._reader

    def ping(self) -> bool:
        try:
            return self._get().ping()
        except QueryFailed:
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)
