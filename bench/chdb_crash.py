"""Fault run: kill -9 the embedded ClickHouse mid-insert, replay the batch, count what was lost.

    .venv/bin/python -m bench.chdb_crash [--kills 100] [--batch-rows 500]

A writer process lands batches of enriched events through the sink's own code (`land_batch`: the
real schema, views and deduplication tokens) into a chDB directory, noting each batch's number
before it inserts it. The events span the end of a month, so every batch is split into two parts
per table, as it is on the first day of a month. A random 0.2-1.5 s after it starts landing, the
writer is killed with SIGKILL; a recovery process replays the batch that was in flight (and the
one before it) as the sink does after a restart, then checks that `events` holds each event once
and that every derived table agrees with `events` (`bench.analytics_checks`). This is done with and without
`sink.dedup_log.repair` before the recovery opens the directory, in the same run. A kill that
leaves something lost is counted and the directory started afresh, so each kill counts alone.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
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
FRESH_AFTER = 400  # batches: then the directory starts afresh, so the checks stay quick


def _batch(number: int, rows: int) -> Batch:
    """Batch `number` as the sink cuts it: offsets number*rows … of partition 0."""
    batcher = Batcher(rows)
    batcher.assign(("crash.enriched", 0))
    values = encoded(events(rows, seed=number, end=MONTH_END))[:rows]
    for i, value in enumerate(values):
        batcher.take(FakeMessage(value, _offset=number * rows + i, _topic="crash.enriched"))
    return Batch(batcher.cut())


def _open(data: Path) -> tuple[Client, dict[str, TableWriter]]:
    migrate.apply(f"chdb://{data}", DATABASE)
    client = connect(f"chdb://{data}", database=DATABASE)
    return client, writers(client, threading.Lock())


def write(data: Path, rows: int) -> None:
    """Land batch after batch until killed; `inflight` names the batch being landed."""
    _, tables = _open(data)
    inflight = data.parent / "inflight"
    number = int(inflight.read_text()) + 1 if inflight.exists() else 0
    print("landing", flush=True)
    while True:
        batch = _batch(number, rows)
        inflight.with_suffix(".tmp").write_text(str(number))
        inflight.with_suffix(".tmp").replace(inflight)
        land_batch(batch, tables)
        (data.parent / "counts").open("a").write(f"{len(batch.events)}\n")
        number += 1


def recover(data: Path, rows: int, repaired: bool) -> None:
    """Replay the batch in flight and the one before; print what is missing or doubled."""
    forgot = repair(data) if repaired else 0
    client, tables = _open(data)
    inflight = data.parent / "inflight"
    last = int(inflight.read_text()) if inflight.exists() else -1
    for number in (last - 1, last):
        if number >= 0:
            land_batch(_batch(number, rows), tables)
    counts = [int(n) for n in (data.parent / "counts").read_text().split()] if last >= 0 else []
    counts += [len(_batch(n, rows).events) for n in range(len(counts), last + 1)]  # landed, not noted
    (data.parent / "counts").write_text("".join(f"{n}\n" for n in counts[: last + 1]))
    stored, distinct = client.query("SELECT count(), uniqExact(event_id) FROM events").result_rows[0]
    wrong = ",".join(sorted(mismatches(lambda sql: client.query(sql).result_rows))) or "-"
    print(forgot, sum(counts[: last + 1]) - distinct, stored - distinct, wrong, last)


def _bench(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.chdb_crash", *args]


def _kill_and_recover(data: Path, rows: int, repaired: bool, rng: random.Random) -> list[str]:
    """One kill: the recovery's `forgot missing doubled wrong last` (see `recover`)."""
    size = ["--batch-rows", str(rows)]
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


def _run(mode: str, kills: int, rows: int, rng: random.Random) -> dict[str, int]:
    root = Path(tempfile.mkdtemp(prefix=f"hitstream-crash-{mode}-"))
    out = {"kills": 0, "repaired kills": 0, "kills that lost data": 0, "kills that doubled data": 0}
    try:
        for _ in range(kills):
            data = root / "clickhouse"
            forgot, missing, doubled, wrong, last = _kill_and_recover(data, rows, mode == "repair", rng)
            out["kills"] += 1
            out["repaired kills"] += int(forgot) > 0
            lost = int(missing) > 0 or wrong != "-"
            if lost or int(doubled):
                out["kills that lost data" if lost else "kills that doubled data"] += 1
                print(f"  {mode}: kill {out['kills']}: {missing} events missing, {doubled} doubled, "
                      f"derived tables off: {wrong}", flush=True)  # fmt: skip
            if lost or int(doubled) or int(last) > FRESH_AFTER:
                shutil.rmtree(root)
                root.mkdir()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=100, help="Kills per mode (with and without the repair).")
    p.add_argument("--batch-rows", type=int, default=500, help="Events per batch.")
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
    for mode in ("without repair", "repair"):
        result = _run("plain" if mode == "without repair" else "repair", args.kills, args.batch_rows, rng)
        print(f"{mode:>15}: " + ", ".join(f"{k} {v}" for k, v in result.items()), flush=True)
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
