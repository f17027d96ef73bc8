"""Per-key request limits (Supalytics: 100 requests/s per API key; HitKeep: per caller).

A fixed one-second window: the vendors document a per-second budget and a reset time, which a
fixed window reports exactly (`X-RateLimit-Reset` is the epoch second the window ends). The
counters for a window are dropped wholesale when the next one starts, so memory is bounded by
the keys seen in one second. Limits are per ingest process; see docs/ingest.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # epoch seconds at which the window ends

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("x-ratelimit-limit", str(self.limit)),
            ("x-ratelimit-remaining", str(self.remaining)),
            ("x-ratelimit-reset", str(self.reset)),
        ]


class RateLimiter:
    def __init__(self, per_second: int, clock: Callable[[], float] = time.time) -> None:
        self._limit = per_second
        self._clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> Quota:
        """Count one request for `key` and say whether it is within the budget."""
        window = int(self._clock())
        if window != self._window:
            self._window = window
            self._counts = {}
        used = self._counts.get(key, 0) + 1
        self._counts[key] = used
        return Quota(used <= self._limit, self._limit, max(self._limit - used, 0), window + 1)
