"""Columnar inserts through one reused insert context per table, and isolation of refused rows.

A batch (`sink.batch.Batch`: the parts of every partition cut together) becomes one insert per
table, whose deduplication token names the table and the batch's plan (its offset range on every
partition): a replay of the batch, re-cut exactly from the recorded plan (`sink.plan`), is
dropped by ClickHouse instead of counted twice, and the materialized views drop it too
(`deduplicate_blocks_in_dependent_materialized_views`). When ClickHouse refuses rows for their
data, `land` bisects: halves that insert cleanly land (each with a token of its own, derived from
the batch's and its row range), and the rows that fail alone are returned with the reason, for the
DLQ. Sessions are written from the events that landed, so the same rows are refused on a replay
and every token stays valid.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from clickhouse_connect.driver.client import Client

from common.metrics import SINK_INSERT_SECONDS, SINK_ROWS
from sink.dlq import DeadLetter
from sink.errors import DataInsertError, classify
from sink.rows import (
    COLUMNS,
    FILTERED_COLUMNS,
    SESSION_COLUMNS,
    Record,
    event_columns,
    filtered_columns,
    latest_sessions,
    session_columns,
)

if TYPE_CHECKING:
    from sink.batch import Batch

EVENTS, FILTERED, SESSIONS = "events", "filtered_hits_queue", "session_versions"
# Views drop a replayed block as the table does; they run side by side rather than one after
# another (with any view attached, a serial insert was ~40% slower on this machine). A batch may
# span every month `schemas.limits` admits (a HitKeep replay back to 2000: 300+ monthly
# partitions); ClickHouse's default of 100 partitions per insert refuses it with TOO_MANY_PARTS,
# which is transient for every other cause, so the sink would retry that batch for ever. The
# accepted time window, not this setting, bounds the partitions one insert touches.
INSERT_SETTINGS = {
    "deduplicate_blocks_in_dependent_materialized_views": 1,
    "parallel_view_processing": 1,
    "max_partitions_per_insert_block": 0,
}

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
            table, column_names=list(columns), column_oriented=True, settings=dict(INSERT_SETTINGS)
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
        SESSIONS: TableWriter(client, lock, SESSIONS, SESSION_COLUMNS, session_columns),
    }


def land_batch(batch: Batch, tables: dict[str, TableWriter]) -> list[DeadLetter]:
    """Insert one batch into every table; its dead letters (undecodable and refused rows).

    Events first: the sessions rows come from the events that landed, so an event ClickHouse
    refuses shapes no session. Sessions and filtered hits carry no constraint; a refusal there is
    a bug, raised as a DataInsertError that stops the sink."""
    token = batch.plan.token
    events = batch.events
    refused = land(events, token, tables[EVENTS].insert)
    gone = {i for i, _ in refused}
    landed = [r for i, r in enumerate(events) if i not in gone]
    for table, rows in ((SESSIONS, latest_sessions(landed)), (FILTERED, batch.filtered)):
        bad = land(rows, token, tables[table].insert)
        if bad:
            raise DataInsertError(f"{table} refused rows: {bad[0][1]}")
    sources = batch.event_sources
    return batch.dead + [sources[i].letter(reason, "refused") for i, reason in refused]


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
