"""The planned batch, recorded in Kafka before it is inserted, so a replay is cut exactly alike.

ClickHouse drops an insert whose `insert_deduplication_token` it has seen, in `events` and in
every materialized view, but only if the replayed insert carries the same token and the same
rows. A batch cut by time and size is cut differently on a replay, so before inserting, the sink
commits, for every partition of the batch, the offset the batch starts at on that partition
(nothing moves forward) with the whole batch in the commit's metadata:
`hs1:<partition>:<first>-<last>,…`. After a crash or a rebalance, whoever is assigned one of
those partitions reads the plan, reads the batch's ranges back from the topic (every partition's,
owned or not: a rebalance may have split the batch between sinks) and lands it again with the
same token: ClickHouse drops it if it landed before, and whichever owner of its partitions comes
first lands it if not. This is the exactly-once design of the ClickHouse Kafka Connect sink
(offset ranges in a state store), with the consumer group's own offset store as the state store:
written in the same request as the offsets, read by whoever owns the partition next.

One batch is one insert per table (the per-insert cost of ClickHouse and its views is the sink's
ceiling, so a batch spans every partition the sink holds); its plan must fit Kafka's offset
metadata limit (`offset.metadata.max.bytes`, 4096 by default), so a flush of very many partitions
is split into several batches (`MAX_METADATA`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PREFIX = "hs1:"
MAX_METADATA = 3_500
_RANGE = re.compile(r"^(\d+):(\d+)-(\d+)$")


@dataclass(frozen=True, order=True)
class Range:
    """The offsets a batch covers on one partition, both ends included."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 0 <= self.first <= self.last:
            raise ValueError(f"not an offset range: {self.first}-{self.last}")


@dataclass(frozen=True)
class Plan:
    """One batch of one topic: the range it covers on each of its partitions."""

    topic: str
    ranges: tuple[tuple[int, Range], ...]  # (partition, range), by partition

    @classmethod
    def of(cls, topic: str, ranges: dict[int, Range]) -> Plan:
        return cls(topic, tuple(sorted(ranges.items())))

    def encode(self) -> str:
        return PREFIX + ",".join(f"{p}:{r.first}-{r.last}" for p, r in self.ranges)

    @property
    def token(self) -> str:
        """The batch's deduplication token (before the table name): a digest of topic and ranges."""
        return hashlib.sha256(f"{self.topic}|{self.encode()}".encode()).hexdigest()[:40]

    def range_of(self, partition: int) -> Range | None:
        return dict(self.ranges).get(partition)


def decode(topic: str, partition: int, metadata: str | None, committed: int) -> Plan | None:
    """The plan recorded with a partition's committed offset, if it is still to be replayed: it
    names the partition with a range starting at the committed offset. Anything else (no
    metadata, another writer's, a range the offset has moved past) is no plan."""
    if not metadata or not metadata.startswith(PREFIX):
        return None
    ranges: dict[int, Range] = {}
    for item in metadata[len(PREFIX) :].split(","):
        m = _RANGE.match(item)
        if m is None:
            return None
        try:
            ranges[int(m.group(1))] = Range(int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    own = ranges.get(partition)
    if own is None or own.first != committed:
        return None
    return Plan.of(topic, ranges)
