"""Sampling what operators watch during a run: consumer lag per group and memory per process."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition


def rss_bytes(pid: int) -> int:
    """Resident memory of a process from /proc (Linux); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Messages between the group's committed offsets and the end of each partition."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        md = c.list_topics(topic, timeout=5).topics[topic]
        parts = [TopicPartition(topic, p) for p in md.partitions]
        committed = c.committed(parts, timeout=5)
        lag = 0
        for tp in committed:
            _, high = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=5)
            lag += high - tp.offset if tp.offset >= 0 else high
        return lag
    finally:
        c.close()


@dataclass
class Sampler:
    """Every `interval_s`: lag of each (group, topic) and RSS of each named process."""

    bootstrap: str
    groups: dict[str, tuple[str, str]]  # label → (group, topic)
    pids: dict[str, int]
    interval_s: float = 1.0
    lag: dict[str, list[int]] = field(default_factory=dict)
    rss: dict[str, list[int]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            for label, (group, topic) in self.groups.items():
                # A sample lost during a broker restart is not a failure.
                with contextlib.suppress(Exception):
                    self.lag.setdefault(label, []).append(group_lag(self.bootstrap, group, topic))
            for label, pid in self.pids.items():
                self.rss.setdefault(label, []).append(rss_bytes(pid))
