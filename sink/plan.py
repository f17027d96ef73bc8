"""The planned batch, recorded in Kafka before it is inserted, so a replay is cut exactly alike.

ClickHouse drops an insert whose `insert_deduplication_token` it has seen, in `events` and in
every materialized view, but only if the replayed insert carries the same token and the same
rows. A batch cut by time is cut differently on a replay, so before inserting, the sink commits,
for each partition of the batch, the offset it starts at (nothing moves forward) with the batch's
offset ranges in the commit's metadata (`hs1:first-last[,first-last]`). After a crash or a
rebalance, whoever is assigned the partition reads that commit and cuts the first batches of the
partition at exactly those ranges: the same messages, the same rows, the same tokens. This is
the design of the ClickHouse Kafka Connect sink's exactly-once mode (offset ranges in a state
store), with the consumer group's own offset store as the state store: it is written in the same
request as the offsets and read by whichever consumer owns the partition next.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

PREFIX = "hs1:"
_RANGE = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True, order=True)
class Range:
    """The offsets one insert covers on one partition, both ends included."""

    first: int
    last: int

    def __post_init__(self) -> None:
        if not 0 <= self.first <= self.last:
            raise ValueError(f"not an offset range: {self.first}-{self.last}")


def encode(ranges: list[Range]) -> str:
    return PREFIX + ",".join(f"{r.first}-{r.last}" for r in ranges)


def decode(metadata: str | None, committed: int) -> list[Range]:
    """The ranges still to replay from a commit's metadata: those at or after `committed`.

    Anything else (no metadata, another writer's, a range the committed offset has moved past
    or into) yields no plan: the partition is cut freshly from its committed offset.
    """
    if not metadata or not metadata.startswith(PREFIX):
        return []
    ranges: list[Range] = []
    for part in metadata[len(PREFIX) :].split(","):
        m = _RANGE.match(part)
        if m is None:
            return []
        try:
            ranges.append(Range(int(m.group(1)), int(m.group(2))))
        except ValueError:
            return []
    if ranges != sorted(ranges) or any(a.last >= b.first for a, b in itertools.pairwise(ranges)):
        return []
    return [r for r in ranges if r.first >= committed]
