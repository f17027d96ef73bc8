"""Dead letters from the sink: the DLQ producer and the guard that stops a DLQ spike.

A sink that dead-letters every row of a broken deployment would drain the enriched topic into
the DLQ and look healthy. `SpikeGuard` counts rows seen and rows dead-lettered over a sliding
window; when both the count and the share exceed their limits it raises `DeadLetterSpike`
*before* the batch's dead letters are produced or its offsets committed, so a restart after the
fix sees the same rows again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from common import kafka
from common.metrics import SINK_DLQ
from common.settings import SharedSettings
from schemas.dead_letter import Envelope
from sink.errors import DeadLetterSpike, SinkError


@dataclass(frozen=True)
class DeadLetter:
    """One message the sink gives up on, with where it came from and why."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str
    kind: str  # metric label: undecodable, unmappable, refused


class SpikeGuard:
    def __init__(
        self, max_rows: int, max_ratio: float, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_rows = max_rows
        self._max_ratio = max_ratio
        self._window_s = window_s
        self._clock = clock
        self._seen: deque[tuple[float, int, int]] = deque()  # (time, rows, dead)

    def check(self, rows: int, dead: int) -> None:
        """Record one batch; raise DeadLetterSpike when the window crosses both limits."""
        now = self._clock()
        self._seen.append((now, rows, dead))
        while self._seen and self._seen[0][0] < now - self._window_s:
            self._seen.popleft()
        total = sum(r for _, r, _ in self._seen)
        failed = sum(d for _, _, d in self._seen)
        if failed > self._max_rows and total and failed / total > self._max_ratio:
            raise DeadLetterSpike(
                f"{failed} of {total} rows ({failed / total:.0%}) went to the DLQ within "
                f"{self._window_s:g}s (limits: more than {self._max_rows} rows and "
                f"{self._max_ratio:.0%}); stopping without committing so nothing more is drained. "
                f"Inspect with `hitstream dlq show`, fix the cause, restart the sink."
            )


class DeadLetterProducer:
    """Produces dead letters to the DLQ topic in the shared envelope (`schemas.dead_letter`)."""

    def __init__(self, shared: SharedSettings, topic: str) -> None:
        self._topic = topic
        self._producer = kafka.producer(shared, "hitstream-sink-dlq")

    def send(self, letters: list[DeadLetter]) -> None:
        """Produce and wait for acknowledgement: the batch's offsets are committed right after."""
        for d in letters:
            envelope = Envelope.of(d.reason, "sink", d.topic, d.partition, d.offset)
            self._producer.produce(self._topic, key=d.key, value=d.value, headers=[*envelope.headers()])
            SINK_DLQ.labels(d.kind).inc()
        if letters and self._producer.flush(30) > 0:
            raise SinkError("DLQ producer could not deliver dead letters within 30s")

    def close(self) -> None:
        self._producer.flush(10)
