"""Columnar inserts through one reused insert context per table, and isolation of refused rows.

The deduplication token names the exact Kafka offsets in the batch (plus the table), so a batch
retried after a crash (same partitions, same offsets) is dropped by ClickHouse instead of counted
twice; the materialized views see the same token (`deduplicate_blocks_in_dependent_materialized_views`).
When ClickHouse refuses a batch for its data, `land` bisects it: halves that insert cleanly land
(each with a token of its own, derived from the batch token and its row range), and the rows
that fail alone are returned with the reason, for the DLQ.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from common.metrics import SINK_INSERT_SECONDS, SINK_ROWS
from sink.errors import DataInsertError, classify
from sink.rows import COLUMNS, FILTERED_COLUMNS, Record, event_columns, filtered_columns

EVENTS, FILTERED = "events", "filtered_hits_queue"
_INSERT_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1}

ToColumns = Callable[[list[Record]], list[Sequence[Any]]]


class TableWriter:
    """Inserts into one table through a reused, column-oriented insert context; errors come out
    classified."""

    def __init__(
        self, client: Client, lock: threading.Lock, table: str, columns: Sequence[str], to_columns: ToColumns
    ) -> None:
        self.table = table
        self._client = client
        self._lock = lock  # chDB runs one query at a time per process; the HTTP interface shares it
        self._to_columns = to_columns
        self._context = client.create_insert_context(
            table, column_names=list(columns), column_oriented=True, settings=dict(_INSERT_SETTINGS)
        )

    def insert(self, records: list[Record], token: str) -> None:
        if not records:
            return
        started = time.perf_counter()
        columns = self._to_columns(records)
        with self._lock:
            self._context.data = columns
            self._context.settings["insert_deduplication_token"] = f"{self.table}/{token}"
            try:
                self._client.insert(context=self._context)
            except Exception as exc:  # wrapped: every insert failure leaves here as a SinkError
                raise classify(exc) from exc
            finally:
                self._context.data = None
        SINK_INSERT_SECONDS.observe(time.perf_counter() - started)
        SINK_ROWS.labels(self.table).inc(len(records))


def writers(client: Client, lock: threading.Lock) -> dict[str, TableWriter]:
    return {
        EVENTS: TableWriter(client, lock, EVENTS, COLUMNS, event_columns),
        FILTERED: TableWriter(client, lock, FILTERED, FILTERED_COLUMNS, filtered_columns),
    }


def land(rows: Sequence[Any], token: str, insert: Callable[[Any, str], None]) -> list[tuple[int, str]]:
    """Insert `rows`; on a data error, bisect. Returns (index, reason) of rows refused on their own.

    Transient and fatal errors propagate: retrying or stopping is the caller's decision.
    """
    refused: list[tuple[int, str]] = []
    stack = [(0, len(rows))]
    first = True
    while stack:
        lo, hi = stack.pop()
        try:
            insert(rows[lo:hi], token if first else f"{token}#{lo}-{hi}")
        except DataInsertError as exc:
            if hi - lo == 1:
                refused.append((lo, str(exc)))
            else:
                mid = (lo + hi) // 2
                stack += [(mid, hi), (lo, mid)]
        first = False
    return sorted(refused)


def dedup_token(ranges: dict[tuple[str, int], tuple[int, int]]) -> str:
    """`topic:partition:first-last` for each partition in the batch, in a stable order."""
    return ",".join(f"{t}:{p}:{lo}-{hi}" for (t, p), (lo, hi) in sorted(ranges.items()))
