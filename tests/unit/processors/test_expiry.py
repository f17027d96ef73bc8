"""The incremental sweep: bounded per tick, yields to the loop, trusts only current values, and
deletes the way the hot path writes (tombstones acknowledged, then RocksDB, under its lock)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from processors.expiry import Sweeper
from processors.output import Record


class FakeStore:
    """One partition of a RocksDB-backed table: `items()` iterates a snapshot taken when called."""

    changelog_topic = "app-sessions-changelog"

    def __init__(self, data: dict[bytes, bytes]) -> None:
        self.data = data
        self.offsets: list[int | None] = []

    def assigned(self) -> set[int]:
        return {0}

    def items(self, partition: int) -> Iterable[tuple[bytes, bytes]]:
        return iter(list(self.data.items()))

    def read(self, partition: int, keys: list[bytes]) -> list[bytes | None]:
        return [self.data.get(k) for k in keys]

    def write(self, partition: int, puts: Mapping[bytes, bytes | None], offset: int | None) -> None:
        for k, v in puts.items():
            if v is None:
                self.data.pop(k, None)
            else:
                self.data[k] = v
        self.offsets.append(offset)


class FakeOutput:
    def __init__(self, lock: asyncio.Lock | None = None) -> None:
        self.sent: list[Record] = []
        self.lock = lock
        self.held: list[bool] = []

    async def send(self, records: Sequence[Record]) -> dict[tuple[str, int], int]:
        self.held.append(self.lock is not None and self.lock.locked())
        self.sent += records
        return {(FakeStore.changelog_topic, 0): len(self.sent) - 1}


def _stale(raw: bytes, watermark: float) -> bool:
    return bool(watermark - float(raw) > 10)


def _sweeper(store: FakeStore, output: FakeOutput, lock: asyncio.Lock, kept: Any, slice_size: int) -> Sweeper:
    return Sweeper(store, output, lock, _stale, kept, slice_size=slice_size)  # type: ignore[arg-type]


def test_a_pass_spreads_over_ticks_and_reports_what_it_kept() -> None:
    store = FakeStore({f"k{i}".encode(): (b"0" if i % 2 else b"100") for i in range(10)})
    kept: list[int] = []

    async def main() -> None:
        lock = asyncio.Lock()
        output = FakeOutput(lock)
        sweeper = _sweeper(store, output, lock, kept.append, slice_size=2)
        await sweeper.sweep(watermark=105.0, budget=4)
        assert len(store.data) == 8 and kept == []  # four keys looked at, two of them stale
        await sweeper.sweep(watermark=105.0, budget=100)
        assert sorted(store.data) == [f"k{i}".encode() for i in range(0, 10, 2)] and kept == [5]
        # Every deletion was a tombstone on the changelog first, sent while holding the lock.
        assert all(r.value is None and r.partition == 0 for r in output.sent) and len(output.sent) == 5
        assert all(output.held) and store.offsets[-1] == 4

    asyncio.run(main())


def test_a_key_written_after_the_pass_began_is_not_deleted() -> None:
    store = FakeStore({b"old": b"0", b"busy": b"0"})

    async def main() -> None:
        lock = asyncio.Lock()
        sweeper = _sweeper(store, FakeOutput(), lock, lambda _: None, slice_size=1)
        await sweeper.sweep(watermark=50.0, budget=1)  # the snapshot says busy is stale...
        store.data[b"busy"] = b"49"  # ...but the hot path has just written it
        await sweeper.sweep(watermark=50.0, budget=10)

    asyncio.run(main())
    assert store.data == {b"busy": b"49"}


def test_other_tasks_run_between_slices() -> None:
    store = FakeStore({f"k{i}".encode(): b"100" for i in range(50)})
    ticks: list[int] = []

    async def main() -> None:
        async def other() -> None:
            for _ in range(5):
                ticks.append(len(ticks))
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        lock = asyncio.Lock()
        await _sweeper(store, FakeOutput(), lock, lambda _: None, slice_size=10).sweep(100.0, budget=50)
        assert ticks  # the other task ran before the sweep finished
        await task

    asyncio.run(main())
