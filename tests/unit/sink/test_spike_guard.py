from __future__ import annotations

import pytest

from sink.dlq import SpikeGuard
from sink.errors import DeadLetterSpike


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_few_bad_rows_do_not_stop_the_sink() -> None:
    guard = SpikeGuard(max_rows=10, max_ratio=0.1, window_s=60, clock=Clock())
    for _ in range(10):
        guard.check(rows=1000, dead=1)


def test_many_bad_rows_in_a_big_stream_are_tolerated_when_their_share_is_small() -> None:
    guard = SpikeGuard(max_rows=10, max_ratio=0.1, window_s=60, clock=Clock())
    guard.check(rows=100_000, dead=50)


def test_spike_stops_with_a_clear_message() -> None:
    guard = SpikeGuard(max_rows=10, max_ratio=0.1, window_s=60, clock=Clock())
    guard.check(rows=50, dead=5)
    with pytest.raises(DeadLetterSpike, match="hitstream dlq show"):
        guard.check(rows=50, dead=10)


def test_old_batches_leave_the_window() -> None:
    clock = Clock()
    guard = SpikeGuard(max_rows=10, max_ratio=0.1, window_s=60, clock=clock)
    guard.check(rows=20, dead=8)
    clock.now = 120
    guard.check(rows=20, dead=8)
