"""Incremental expiry of the `sessions` table: bounded work per timer tick, never a stall of the stream.

A full scan of a million keys at once would stall the agent and load them all into memory, so
one pass over a worker's partitions is spread over ticks (`budget` keys each), and within a tick
the event loop gets control back every `slice_size` keys. A pass reads through a RocksDB
iterator, i.e. a snapshot taken when the pass began: a key the agent wrote since may look stale
in it. So the keys a slice found stale are deleted under the hot path's lock (no batch is in
flight between reading their state and writing it), each only if its current value is stale too,
and the same way the hot path writes: tombstones to the changelog, acknowledged, then RocksDB.
Tombstone and value therefore reach the changelog in the order they were decided.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from processors.faust_internals import TableStore
from processors.output import Output, Record

log = logging.getLogger("hitstream.processors")


class Sweeper:
    def __init__(
        self,
        store: TableStore,
        output: Output,
        lock: asyncio.Lock,
        is_stale: Callable[[bytes, float], bool],
        on_pass_done: Callable[[int], None],
        slice_size: int = 1_000,
    ) -> None:
        """`is_stale(value, watermark)`; `on_pass_done(kept)` gets the keys a full pass kept."""
        self._store = store
        self._output = output
        self._lock = lock
        self._is_stale = is_stale
        self._on_pass_done = on_pass_done
        self._slice = slice_size
        self._pass: Iterator[tuple[int, bytes, bytes]] | None = None
        self._kept = 0

    def _walk(self) -> Iterator[tuple[int, bytes, bytes]]:
        for partition in sorted(self._store.assigned()):
            for key, value in self._store.items(partition):
                yield partition, key, value

    async def sweep(self, watermark: float, budget: int) -> None:
        done = 0
        while done < budget:
            stale = self._scan(watermark, min(self._slice, budget - done))
            if stale:
                async with self._lock:
                    await self._delete(stale, watermark)
            done += self._slice
            if self._pass is None:  # the pass ended: the next tick starts a fresh one
                return
            await asyncio.sleep(0)

    def _scan(self, watermark: float, n: int) -> list[tuple[int, bytes]]:
        if self._pass is None:
            self._pass, self._kept = self._walk(), 0
        stale: list[tuple[int, bytes]] = []
        try:
            for _ in range(n):
                partition, key, value = next(self._pass)
                if self._is_stale(value, watermark):
                    stale.append((partition, key))
                else:
                    self._kept += 1
        except StopIteration:
            self._on_pass_done(self._kept)
            self._pass = None
        except Exception:  # the store closed under us (rebalance): start a fresh pass next time
            log.info("expiry pass interrupted; restarting it")
            self._pass = None
        return stale

    async def _delete(self, stale: list[tuple[int, bytes]], watermark: float) -> None:
        doomed: dict[int, list[bytes]] = {}
        assigned = self._store.assigned()
        for partition, key in stale:
            if partition not in assigned:
                continue
            (current,) = self._store.read(partition, [key])
            if current is None:
                continue
            if self._is_stale(current, watermark):
                doomed.setdefault(partition, []).append(key)
            else:
                self._kept += 1
        if not doomed:
            return
        topic = self._store.changelog_topic
        records = [Record(topic, key, None, partition) for partition, keys in doomed.items() for key in keys]
        offsets = await self._output.send(records)
        for partition, keys in doomed.items():
            self._store.write(partition, dict.fromkeys(keys), offsets.get((topic, partition)))
