"""Incremental expiry of a state table: bounded work per timer tick, never a stall of the stream.

A full scan of a million keys at once would stall the agent and load them all into memory, so
one pass over the table is spread over ticks (`budget` keys each), and within a tick the event
loop gets control back every `slice_size` keys. A pass reads through one RocksDB iterator, i.e.
a snapshot taken when the pass began: a key the agent wrote since may look stale in it. So a key
is deleted only if its current value is stale too, read in the same synchronous slice as the
delete (the agent cannot write in between).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

log = logging.getLogger("hitstream.processors")


class Sweeper:
    def __init__(
        self,
        table: MutableMapping[Any, Any],
        is_stale: Callable[[Any, float], bool],
        on_pass_done: Callable[[int], None],
        slice_size: int = 1_000,
    ) -> None:
        """`is_stale(value, watermark)`; `on_pass_done(kept)` gets the keys a full pass kept."""
        self._table = table
        self._is_stale = is_stale
        self._on_pass_done = on_pass_done
        self._slice = slice_size
        self._pass: Iterator[tuple[Any, Any]] | None = None
        self._kept = 0

    async def sweep(self, watermark: float, budget: int) -> None:
        done = 0
        while done < budget:
            self._slice_once(watermark, min(self._slice, budget - done))
            done += self._slice
            if self._pass is None:  # the pass ended: the next tick starts a fresh one
                return
            await asyncio.sleep(0)

    def _slice_once(self, watermark: float, n: int) -> None:
        if self._pass is None:
            self._pass, self._kept = iter(self._table.items()), 0
        stale: list[Any] = []
        ended = False
        try:
            for _ in range(n):
                key, value = next(self._pass)
                if self._is_stale(value, watermark):
                    stale.append(key)
                else:
                    self._kept += 1
        except StopIteration:
            ended = True
        except Exception:  # the store closed under us (rebalance): start a fresh pass next time
            log.info("expiry pass interrupted; restarting it")
            self._pass = None
        for key in stale:
            current = self._table.get(key)
            if current is None:
                continue
            if self._is_stale(current, watermark):
                self._table.pop(key, None)
            else:
                self._kept += 1
        if ended:
            self._on_pass_done(self._kept)
            self._pass = None
