"""The incremental sweep: bounded per tick, yields to the loop, and trusts only current values."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from processors.expiry import Sweeper


class Snapshotting(dict[str, float]):
    """Like a RocksDB-backed table: `items()` iterates a snapshot taken when it is called."""

    def items(self) -> Iterator[tuple[str, float]]:  # type: ignore[override]
        return iter(list(super().items()))


def _stale(last_seen: Any, watermark: float) -> bool:
    return bool(watermark - last_seen > 10)


def test_a_pass_spreads_over_ticks_and_reports_what_it_kept() -> None:
    table = Snapshotting({f"k{i}": (0.0 if i % 2 else 100.0) for i in range(10)})
    kept: list[int] = []
    sweeper = Sweeper(table, _stale, kept.append, slice_size=2)
    asyncio.run(sweeper.sweep(watermark=105.0, budget=4))
    assert len(table) == 8 and kept == []  # four keys looked at, two of them stale
    asyncio.run(sweeper.sweep(watermark=105.0, budget=100))
    assert sorted(table) == [f"k{i}" for i in range(0, 10, 2)] and kept == [5]


def test_a_key_written_after_the_pass_began_is_not_deleted() -> None:
    table = Snapshotting({"old": 0.0, "busy": 0.0})
    sweeper = Sweeper(table, _stale, lambda _: None, slice_size=1)
    asyncio.run(sweeper.sweep(watermark=50.0, budget=1))  # the snapshot says busy is stale...
    table["busy"] = 49.0  # ...but the agent has just written it
    asyncio.run(sweeper.sweep(watermark=50.0, budget=10))
    assert table == {"busy": 49.0}


def test_other_tasks_run_between_slices() -> None:
    table = Snapshotting({f"k{i}": 100.0 for i in range(50)})
    ticks: list[int] = []

    async def main() -> None:
        async def other() -> None:
            for _ in range(5):
                ticks.append(len(ticks))
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        await Sweeper(table, _stale, lambda _: None, slice_size=10).sweep(100.0, budget=50)
        assert ticks  # the other task ran before the sweep finished
        await task

    asyncio.run(main())
