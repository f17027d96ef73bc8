"""Fault run: kill -9 the embedded ClickHouse mid-insert, replay the batch, count what was lost.

    .venv/bin/python -m bench.chdb_crash [--kills 100] [--batch-rows 500]

A writer process lands batches of enriched events through the sink's own code (`land_batch`: the
real schema, views and deduplication tokens) into a chDB directory, noting each batch's number
before it inserts it. The events span the end of a month, so every batch is split into two parts
per table, as it is on the first day of a month. A random 0.2-1.5 s after it starts landing, the
writer is killed with SIGKILL; a recovery process replays the batch that was in flight (and the
one before it) as the sink does after a restart, then checks that `events` holds each event once
and that every derived table agrees with `events` (`bench.analytics_checks`). Kills alternate
between two directories: one recovered without `sink.dedup_log.repair`, one with it before the
recovery opens the directory. A kill that leaves something lost or doubled is counted and its
directory started afresh, so each kill counts alone.
"""

from __future__ import annotations

import argparse
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clickhouse_connect.driver.client import Client

from bench.analytics_checks import mismatches
from bench.sink_data import encoded, events
from common.clickhouse import connect
from sink import migrate
from sink.batch import Batch, Batcher
from sink.dedup_log import repair
from sink.writer import TableWriter, land_batch, writers
from tests.support.messages import FakeMessage

DATABASE = "crash"
MONTH_END = datetime(2026, 12, 1, 18, tzinfo=UTC)  # three days back from here: a quarter in December
FRESH_AFTER = 100  # batches: then the directory starts afresh, so the checks stay quick
PREPARED = FRESH_AFTER + 100  # more than a writer lands between two kills (~20 here)


def _prepare(path: Path, rows: int) -> None:
    """Cut every batch once, as the sink cuts them (offsets number*rows … of partition 0), so the
    writer spends its life inserting, where a kill finds ClickHouse mid-commit."""
    prepared = []
    for number in range(PREPARED):
        batcher = Batcher(rows)
        batcher.assign(("crash.enriched", 0))
        for i, value in enumerate(encoded(events(rows, seed=number, end=MONTH_END))[:rows]):
            batcher.take(FakeMessage(value, _offset=number * rows + i, _topic="crash.enriched"))
        prepared.append(Batch(batcher.cut()))
    path.write_bytes(pickle.dumps(prepared))


def _batches(path: Path) -> list[Batch]:
    batches: list[Batch] = pickle.loads(path.read_bytes())  # written by this run, read by its children
    return batches


def _open(data: Path) -> tuple[Client, dict[str, TableWriter]]:
    migrate.apply(f"chdb://{data}", DATABASE)
    client = connect(f"chdb://{data}", database=DATABASE)
    return client, writers(client, threading.Lock())


def write(data: Path, prepared: Path) -> None:
    """Land batch after batch until killed; `inflight` names the batch being landed."""
    batches = _batches(prepared)
    _, tables = _open(data)
    inflight = data.parent / "inflight"
    first = int(inflight.read_text()) + 1 if inflight.exists() else 0
    print("landing", flush=True)
    for number in range(first, len(batches)):
        inflight.with_suffix(".tmp").write_text(str(number))
        inflight.with_suffix(".tmp").replace(inflight)
        land_batch(batches[number], tables)
    time.sleep(3600)  # all landed: wait for the kill


def recover(data: Path, prepared: Path, repaired: bool) -> None:
    """Replay the batch in flight and the one before, as a restarted sink does; print
    `forgot missing doubled wrong last`: block ids the repair forgot, events missing and doubled
    in `events`, derived tables that disagree with `events`, the last batch."""
    batches = _batches(prepared)
    forgot = repair(data) if repaired else 0
    client, tables = _open(data)
    inflight = data.parent / "inflight"
    last = int(inflight.read_text()) if inflight.exists() else -1
    for number in (last - 1, last):
        if number >= 0:
            land_batch(batches[number], tables)
    stored, distinct = client.query("SELECT count(), uniqExact(event_id) FROM events").result_rows[0]
    wrong = ",".join(sorted(mismatches(lambda sql: client.query(sql).result_rows))) or "-"
    want = sum(len(b.events) for b in batches[: last + 1])
    print(forgot, want - distinct, stored - distinct, wrong, last)


def _bench(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.chdb_crash", *args]


def _kill_and_recover(data: Path, prepared: Path, repaired: bool, rng: random.Random) -> list[str]:
    """One kill: the recovery's `forgot missing doubled wrong last` (see `recover`)."""
    size = ["--prepared", str(prepared)]
    writer = subprocess.Popen(_bench("--write", str(data), *size), stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline() == "landing\n"
    time.sleep(rng.uniform(0.2, 1.5))
    writer.kill()
    writer.wait()
    argv = _bench("--recover", str(data), *size, *(["--repair"] if repaired else []))
    res = subprocess.run(argv, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"recovery failed:\n{res.stderr[-2000:]}")
    return res.stdout.split()[-5:]


@dataclass
class Mode:
    """One side of the run: its own directory and counts."""

    repaired: bool
    root: Path
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("kills", "repaired kills", "kills that lost data", "kills that doubled data"), 0
        )
    )

    def kill_once(self, prepared: Path, rng: random.Random) -> None:
        forgot, missing, doubled, wrong, last = _kill_and_recover(
            self.root / "clickhouse", prepared, self.repaired, rng
        )
        self.counts["kills"] += 1
        self.counts["repaired kills"] += int(forgot) > 0
        lost = int(missing) > 0 or wrong != "-"
        if lost or int(doubled):
            self.counts["kills that lost data" if lost else "kills that doubled data"] += 1
            print(f"  {self.name}: kill {self.counts['kills']}: {missing} events missing, {doubled} doubled, "
                  f"derived tables off: {wrong}", flush=True)  # fmt: skip
        if lost or int(doubled) or int(last) > FRESH_AFTER:
            shutil.rmtree(self.root)
            self.root.mkdir()

    @property
    def name(self) -> str:
        return "with repair" if self.repaired else "without repair"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=100, help="Kills per mode (with and without the repair).")
    p.add_argument("--batch-rows", type=int, default=500, help="Events per batch.")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--recover", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--prepared", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--repair", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.write:
        write(args.write, args.prepared)
        return
    if args.recover:
        recover(args.recover, args.prepared, args.repair)
        return
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hitstream-crash-") as tmp:
        prepared = Path(tmp) / "batches.pickle"
        _prepare(prepared, args.batch_rows)
        modes = [Mode(repaired, Path(tmp) / name) for repaired, name in ((False, "plain"), (True, "repair"))]
        for mode in modes:
            mode.root.mkdir()
        for _ in range(args.kills):  # alternating, so both sides see the same machine
            for mode in modes:
                mode.kill_once(prepared, rng)
        for mode in modes:
            print(f"{mode.name:>15}: " + ", ".join(f"{k} {v}" for k, v in mode.counts.items()), flush=True)
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
