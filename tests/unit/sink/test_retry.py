"""The retry loop: transient insert errors pause consumption and retry until ClickHouse takes it.

The consumer is a real confluent-kafka object pointed at nowhere; nothing here reaches a broker
(it is never subscribed), so only the sink's own pause/backoff logic runs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from common.settings import SharedSettings
from sink.consumer import SinkConsumer, Stopping
from sink.dlq import SpikeGuard
from sink.errors import TransientInsertError


class FlakyTable:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.landed: list[list[Any]] = []

    def insert(self, rows: Sequence[list[Any]], token: str) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise TransientInsertError("clickhouse 252 TOO_MANY_PARTS: slow down")
        self.landed += rows


def _consumer(backoff_max_s: float = 0.05) -> SinkConsumer:
    return SinkConsumer(
        shared=SharedSettings(kafka_bootstrap_servers="127.0.0.1:1"),
        group_id="unit",
        topic="unused",
        writers={},
        dlq=None,  # type: ignore[arg-type]
        guard=SpikeGuard(10, 0.1, 60),
        max_rows=10,
        max_seconds=0.1,
        backoff_max_s=backoff_max_s,
    )


def test_transient_errors_are_retried_until_the_rows_land_once() -> None:
    table = FlakyTable(failures=3)
    c = _consumer()
    c._retrying(lambda: table.insert([[1], [2]], "tok"))
    assert table.attempts == 4 and table.landed == [[1], [2]]
    assert not c._paused, "consumption resumes once ClickHouse took the batch"


def test_stop_during_retries_gives_up_without_pretending_success() -> None:
    table = FlakyTable(failures=10**6)
    c = _consumer()
    stop = threading.Event()
    c._stop = stop
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(Stopping):
        c._retrying(lambda: table.insert([[1]], "tok"))
    assert not table.landed
