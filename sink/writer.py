"""Columnar inserts into `events` through one reused insert context.

The deduplication token names the exact Kafka offsets in the batch, so a batch retried after a
crash (same partition, same offsets) is dropped by ClickHouse instead of counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from sink.rows import COLUMNS


class EventWriter:
    def __init__(self, client: Client, lock: threading.Lock, table: str = "events") -> None:
        self._client = client
        self._lock = lock  # chDB runs one query at a time per process; the HTTP interface shares it
        self._context = client.create_insert_context(table, column_names=list(COLUMNS))

    def insert(self, rows: Sequence[list[Any]], dedup_token: str) -> None:
        if not rows:
            return
        with self._lock:
            self._context.data = rows
            self._context.settings["insert_deduplication_token"] = dedup_token
            self._client.insert(context=self._context)


def dedup_token(ranges: dict[tuple[str, int], tuple[int, int]]) -> str:
    """`topic:partition:first-last` for each partition in the batch, in a stable order."""
    return ",".join(f"{t}:{p}:{lo}-{hi}" for (t, p), (lo, hi) in sorted(ranges.items()))
