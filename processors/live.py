"""Live visitors: per site, the visitors whose session saw an event (heartbeats included) within
the live window. Each worker tracks the keys of its own partitions in memory (only recent keys,
so it stays small); `/live/` on any worker sums every worker's `/live/local/` answer.

"Live" is about now, so this is the one place that uses the wall clock; it never feeds back
into enriched events, so replays stay deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable


class LiveVisitors:
    def __init__(self, window_seconds: float) -> None:
        self._window = window_seconds
        self._seen: dict[str, dict[bytes, tuple[float, int]]] = {}

    def touch(self, site: str, key: bytes, partition: int, at: float) -> None:
        """`at` is the event time; a replayed old event is simply not live."""
        visitors = self._seen.setdefault(site, {})
        prev = visitors.get(key)
        if prev is None or prev[0] < at:
            visitors[key] = (at, partition)

    def count(self, site: str, now: float) -> int:
        cutoff = now - self._window
        return sum(1 for at, _ in self._seen.get(site, {}).values() if at >= cutoff)

    def counts(self, now: float) -> dict[str, int]:
        return {site: n for site in list(self._seen) if (n := self.count(site, now))}

    def prune(self, now: float) -> None:
        cutoff = now - self._window
        for site in list(self._seen):
            visitors = {k: v for k, v in self._seen[site].items() if v[0] >= cutoff}
            if visitors:
                self._seen[site] = visitors
            else:
                del self._seen[site]

    def drop_partitions(self, partitions: Iterable[int]) -> None:
        """After a rebalance, revoked partitions' visitors are counted by their new owner."""
        gone = set(partitions)
        for site in list(self._seen):
            self._seen[site] = {k: v for k, v in self._seen[site].items() if v[1] not in gone}
