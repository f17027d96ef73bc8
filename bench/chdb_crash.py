"""Fault run: kill -9 the embedded ClickHouse mid-insert, replay the batch, count what was lost.

    .venv/bin/python -m bench.chdb_crash [--kills 150] [--batch-rows 500]

A writer process inserts batch after batch into a chDB directory, each with its deduplication
token and noting the batch's number before inserting it, as the sink does. The table is
partitioned by month like `events` and feeds a SummingMergeTree through a materialized view like
the derived tables, both with `non_replicated_deduplication_window`; every batch spans the end of a
month, so each insert commits two parts per table, as every sink batch does on the first day of a
month. The schema is this small on purpose: the gap this run looks for is a moment inside each
part's commit, and small inserts put the kill there far more often than the sink's full schema
does (60 kills through the sink's own `land_batch` and views found nothing either way).

A random 0.2-1.5 s after the writer starts inserting it gets SIGKILL; a recovery process replays
the batch that was in flight and the one before it, as a restarted sink does, then checks that
the table holds every row once and that the view's sum equals the table's count. Kills alternate
between two directories: one recovered as is, one after `sink.dedup_log.repair`. A kill that
leaves something lost or doubled is counted and its directory started afresh, so each kill
counts alone (and so is one past `FRESH_AFTER` batches).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from clickhouse_connect.driver.client import Client

from common.clickhouse import connect
from sink.dedup_log import repair
from sink.writer import INSERT_SETTINGS

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hits (day Date, n UInt64) ENGINE = MergeTree PARTITION BY toYYYYMM(day) "
    "ORDER BY n SETTINGS non_replicated_deduplication_window = 10000",
    "CREATE TABLE IF NOT EXISTS daily (day Date, hits UInt64) ENGINE = SummingMergeTree "
    "PARTITION BY toYYYYMM(day) ORDER BY day SETTINGS non_replicated_deduplication_window = 10000",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS daily_mv TO daily "
    "AS SELECT day, count() AS hits FROM hits GROUP BY day",
)
MONTH_END, MONTH_START = date(2026, 11, 30), date(2026, 12, 1)
FRESH_AFTER = 400  # batches: then a directory starts afresh


class Inserter:
    """Batch `number` is rows number*size … (number+1)*size - 1; a seventh of them in December."""

    def __init__(self, data: Path, size: int) -> None:
        self.size = size
        self.client: Client = connect(f"chdb://{data}")
        for ddl in SCHEMA:
            self.client.command(ddl)
        self._context = self.client.create_insert_context(
            "hits", column_names=["day", "n"], column_oriented=True, settings=dict(INSERT_SETTINGS)
        )

    def insert(self, number: int) -> None:
        rows = range(number * self.size, (number + 1) * self.size)
        self._context.data = [[MONTH_START if n % 7 == 0 else MONTH_END for n in rows], list(rows)]
        self._context.settings["insert_deduplication_token"] = f"batch-{number}"
        self.client.insert(context=self._context)


def write(data: Path, size: int) -> None:
    """Insert batch after batch until killed; `inflight` names the batch being inserted."""
    inserter = Inserter(data, size)
    inflight = data.parent / "inflight"
    number = int(inflight.read_text()) + 1 if inflight.exists() else 0
    print("inserting", flush=True)
    while True:
        inflight.with_suffix(".tmp").write_text(str(number))
        inflight.with_suffix(".tmp").replace(inflight)
        inserter.insert(number)
        number += 1


def recover(data: Path, size: int, repaired: bool) -> None:
    """Replay the batch in flight and the one before; print `forgot missing doubled view_off`:
    block ids the repair forgot, rows missing and doubled, and the view's sum minus the rows."""
    forgot = repair(data) if repaired else 0
    inserter = Inserter(data, size)
    inflight = data.parent / "inflight"
    last = int(inflight.read_text()) if inflight.exists() else -1
    for number in (last - 1, last):
        if number >= 0:
            inserter.insert(number)
    stored, distinct = inserter.client.query("SELECT count(), uniqExact(n) FROM hits").result_rows[0]
    summed = inserter.client.query("SELECT sum(hits) FROM daily").result_rows[0][0]
    print(forgot, (last + 1) * size - distinct, stored - distinct, summed - stored)


def _bench(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.chdb_crash", *args]


@dataclass
class Mode:
    """One side of the run: its own directory and counts."""

    repaired: bool
    root: Path
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("kills", "repairs", "kills that lost rows", "kills that doubled rows"), 0
        )
    )

    @property
    def name(self) -> str:
        return "with repair" if self.repaired else "without repair"

    def kill_once(self, size: int, rng: random.Random) -> None:
        data, rows = self.root / "clickhouse", ["--batch-rows", str(size)]
        writer = subprocess.Popen(_bench("--write", str(data), *rows), stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline() == "inserting\n"
        time.sleep(rng.uniform(0.2, 1.5))
        writer.kill()
        writer.wait()
        argv = _bench("--recover", str(data), *rows, *(["--repair"] if self.repaired else []))
        res = subprocess.run(argv, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"recovery failed:\n{res.stderr[-2000:]}")
        forgot, missing, doubled, view_off = (int(v) for v in res.stdout.split()[-4:])
        self.counts["kills"] += 1
        self.counts["repairs"] += forgot > 0
        lost = missing > 0 or view_off < 0
        if lost or doubled or view_off > 0:
            self.counts["kills that lost rows" if lost else "kills that doubled rows"] += 1
            print(f"  {self.name}, kill {self.counts['kills']}: {missing} rows missing, {doubled} doubled, "
                  f"view off by {view_off}", flush=True)  # fmt: skip
        inflight = self.root / "inflight"
        long_lived = inflight.exists() and int(inflight.read_text()) > FRESH_AFTER
        if lost or doubled or view_off > 0 or long_lived:  # chDB opens thousands of small parts slowly
            shutil.rmtree(self.root)
            self.root.mkdir()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=150, help="Kills per side (without and with the repair).")
    p.add_argument("--batch-rows", type=int, default=500, help="Rows per batch.")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--recover", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--repair", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.write:
        write(args.write, args.batch_rows)
        return
    if args.recover:
        recover(args.recover, args.batch_rows, args.repair)
        return
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hitstream-crash-") as tmp:
        modes = [Mode(False, Path(tmp) / "plain"), Mode(True, Path(tmp) / "repair")]
        for mode in modes:
            mode.root.mkdir()
        for _ in range(args.kills):  # alternating, so both sides see the same machine
            for mode in modes:
                mode.kill_once(args.batch_rows, rng)
        for mode in modes:
            print(f"{mode.name:>15}: " + ", ".join(f"{k} {v}" for k, v in mode.counts.items()), flush=True)
    print(f"{time.monotonic() - started:.0f} s for {2 * args.kills} kills")


if __name__ == "__main__":
    main()
