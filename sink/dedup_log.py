"""Forget the insert-deduplication entries of parts an embedded ClickHouse lost when it died.

A non-replicated MergeTree table keeps its deduplication tokens in `deduplication_logs/`. When
it commits an inserted part, ClickHouse appends the part's block id to that log first and renames
the part into place after. With chDB the engine lives in the sink's process, so a kill -9 of the
sink can land between the two: on the next start the block id is in the log but its part is gone
(a temporary directory ClickHouse deletes). The sink then replays the batch with the same token,
and ClickHouse drops the lost block as a duplicate of itself. That is data loss, one partition's
rows of one batch in one table (`python -m bench.chdb_crash` counts it; docs/reliability.md).

So before the sink, `hitstream migrate` or `hitstream rebuild-rollups` opens a chDB directory,
every table's log is read the way ClickHouse reads it, and each block id that no part on disk
covers gets a DROP record, the same record ClickHouse writes when a part is dropped. The replay
then lands exactly the blocks that are missing, in `events` and in each view's table, and is
still dropped where the block landed.

Only for chDB: a ClickHouse server is not killed with the sink. A crashed server has the same gap;
ReplicatedMergeTree (block ids in Keeper, committed with the part) does not.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from common.clickhouse import embedded_path

log = logging.getLogger("hitstream.sink")

_LOGS = "deduplication_logs"
_LOG_FILE = re.compile(r"^deduplication_log_(\d+)\.txt$")
_PART = re.compile(r"^(?P<partition>[^_]+)_(?P<min>\d+)_(?P<max>\d+)_\d+(?:_\d+)?$")
_ADD, _DROP = "1", "2"


@dataclass(frozen=True)
class PartRange:
    """The blocks a part holds: its partition and the block numbers it spans."""

    partition: str
    low: int
    high: int

    @classmethod
    def parse(cls, name: str) -> PartRange | None:
        m = _PART.match(name)
        return cls(m["partition"], int(m["min"]), int(m["max"])) if m else None


class OnDisk:
    """The parts in a table's directory, to ask whether any covers a block range. Outdated parts
    may still be there beside the part they were merged into, so ranges overlap: per partition,
    ranges sorted by their low end with the running maximum of the high end answer in O(log n)."""

    def __init__(self, parts: list[PartRange]) -> None:
        by_partition: dict[str, list[PartRange]] = {}
        for part in parts:
            by_partition.setdefault(part.partition, []).append(part)
        self._lows: dict[str, list[int]] = {}
        self._highs: dict[str, list[int]] = {}  # the highest high end among ranges up to here
        for partition, ranges in by_partition.items():
            ranges.sort(key=lambda r: r.low)
            self._lows[partition] = [r.low for r in ranges]
            self._highs[partition] = list(accumulate((r.high for r in ranges), max))

    def covers(self, want: PartRange) -> bool:
        lows = self._lows.get(want.partition, [])
        i = bisect_right(lows, want.low) - 1  # the ranges starting at or before want's low end
        return i >= 0 and self._highs[want.partition][i] >= want.high


def repair_embedded(dsn: str) -> int:
    """Repair the chDB directory of `dsn` (nothing for a server); how many ids were forgotten.
    Call it before this process first opens the directory: every command that writes does."""
    data_dir = embedded_path(dsn)
    return repair(data_dir) if data_dir is not None and data_dir.is_dir() else 0


def repair(data_dir: Path) -> int:
    """Drop the dangling block ids of every table under a chDB data directory; how many."""
    tables = {logs.parent.resolve() for logs in data_dir.glob(f"*/*/*/{_LOGS}")}  # store/ and data/ links
    return sum(repair_table(table) for table in sorted(tables))


def repair_table(table_dir: Path) -> int:
    """Append a DROP record for each block id in the table's log whose part is not on disk."""
    files = sorted(
        (int(m.group(1)), p) for p in (table_dir / _LOGS).iterdir() if (m := _LOG_FILE.match(p.name))
    )
    if not files:
        return 0
    live: dict[str, str] = {}  # block id -> part name, as ClickHouse's load() rebuilds it
    for _, path in files:
        for line in _whole_lines(path):
            fields = line.split("\t")
            if len(fields) != 3:
                continue
            op, part, block = fields
            if op == _DROP:
                live.pop(block, None)
            elif op == _ADD:
                live[block] = part
    on_disk = OnDisk([r for p in table_dir.iterdir() if p.is_dir() and (r := PartRange.parse(p.name))])
    dangling = [
        (block, part)
        for block, part in live.items()
        if (want := PartRange.parse(part)) is not None and not on_disk.covers(want)
    ]
    if dangling:
        with files[-1][1].open("a", encoding="utf-8") as out:
            out.writelines(f"{_DROP}\t{part}\t{block}\n" for block, part in dangling)
        log.warning(
            "%s: forgot %d deduplication block id(s) of part(s) lost in a crash (%s); a replay lands them",
            table_dir.name, len(dangling), ", ".join(sorted({part for _, part in dangling})),
        )  # fmt: skip
    return len(dangling)


def _whole_lines(path: Path) -> list[str]:
    """The file's complete records. A record torn by the crash is cut off the file: it was being
    written for a part not yet renamed into place, and ClickHouse would stop reading there."""
    raw = path.read_bytes()
    end = raw.rfind(b"\n") + 1
    if end < len(raw):
        with path.open("r+b") as f:
            f.truncate(end)
    return raw[:end].decode("utf-8", errors="replace").splitlines()
