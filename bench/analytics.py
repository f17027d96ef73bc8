"""Analytics benchmark: what the derived tables cost and what they buy, against raw `events`.

    .venv/bin/python -m bench.analytics [--events 2000000] [--scenario big|small|both] [--repeat 5]

Per scenario, in a fresh chDB database migrated like the sink's (bench/analytics_data.py says
what the synthetic events look like):
1. Load rate: the events, generated into a staging table first, are copied with INSERT … SELECT
   into a bare copy of `events` (same engine and sorting key, no views) and into `events` with
   every view attached, plus their session versions into `session_versions` (one row per non-bot
   event with a session: no folding), with the sink's insert settings. Rates are rows of
   `events` per second of those statements.
2. Bytes per table on disk after OPTIMIZE … FINAL (merges done), derived tables against `events`.
3. Exactness: every derived table against the same question asked of `events` per site and day
   (bench/analytics_checks.py); a difference is printed and fails the run.
4. The dashboard queries (bench/analytics_queries.py) on the derived tables and on `events`:
   median of --repeat runs after one warm-up, the ratio, and whether both gave the same rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.analytics_checks import mismatches
from bench.analytics_data import SESSION_VERSIONS, load_staging
from bench.analytics_queries import for_site
from common.clickhouse import connect
from sink import migrate
from sink.rows import COLUMNS

INSERT_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1, "parallel_view_processing": 1}
DERIVED = (
    "sessions",
    "visitor_days",
    "stats_hourly",
    "breakdown_daily",
    "custom_events_daily",
    "filtered_hits",
)


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def load(client: Any, db: str, n: int) -> tuple[float, float]:
    """(bare rows/s, rows/s with every view and the session versions)."""
    cols = ", ".join(COLUMNS)
    client.command(f"CREATE TABLE {db}.events_bare AS {db}.events")

    def bare() -> float:
        client.command(f"TRUNCATE TABLE {db}.events_bare")
        return _timed(lambda: client.command(
            f"INSERT INTO {db}.events_bare ({cols}) SELECT {cols} FROM {db}.staging", settings=INSERT_SETTINGS
        ))  # fmt: skip

    first = bare()
    views = _timed(
        lambda: client.command(
            f"INSERT INTO {db}.events ({cols}) SELECT {cols} FROM {db}.staging", settings=INSERT_SETTINGS
        )
    ) + _timed(lambda: client.command(SESSION_VERSIONS.format(db=db), settings=INSERT_SETTINGS))
    best_bare = min(first, bare())  # the better of two: the ratio errs against the views
    client.command(f"DROP TABLE {db}.events_bare")
    return n / best_bare, n / views


def sizes(client: Any, db: str) -> dict[str, int]:
    for table in ("events", *DERIVED):
        client.command(f"OPTIMIZE TABLE {db}.{table} FINAL")
    rows = client.query(
        "SELECT table, sum(bytes_on_disk) FROM system.parts "
        "WHERE database = %(db)s AND active GROUP BY table",
        parameters={"db": db},
    ).result_rows
    return {str(t): int(b) for t, b in rows}


def time_queries(client: Any, site: str, repeat: int) -> list[tuple[str, float, float, bool]]:
    out = []
    for name, (derived, raw) in for_site(site).items():
        same = client.query(derived).result_rows == client.query(raw).result_rows  # also the warm-up
        d = statistics.median(_timed(lambda q=derived: client.query(q)) for _ in range(repeat))
        r = statistics.median(_timed(lambda q=raw: client.query(q)) for _ in range(repeat))
        out.append((name, d, r, same))
    return out


def run(scenario: str, events: int, repeat: int, root: Path) -> bool:
    dsn, db = f"chdb://{root}", f"bench_{scenario}"  # chDB: one data directory per process
    migrate.apply(dsn, db)
    client = connect(dsn, database=db)
    started = time.perf_counter()
    n = load_staging(client, db, scenario, events)
    print(f"\n== {scenario}: {n:,} events ({'one site' if scenario == 'big' else '1,000 sites'}, "
          f"30 days), generated in {time.perf_counter() - started:.1f}s", flush=True)  # fmt: skip
    bare, views = load(client, db, n)
    print(f"load: bare copy of events {bare:,.0f} rows/s; events with every view + session versions "
          f"{views:,.0f} rows/s = {views / bare:.0%} of bare", flush=True)  # fmt: skip
    client.command(f"DROP TABLE {db}.staging")
    size = sizes(client, db)
    ev = size["events"]
    derived = sum(size.get(t, 0) for t in DERIVED)
    for table in ("events", *DERIVED):
        print(f"  {table:<22} {size.get(table, 0) / 1e6:9.2f} MB  {size.get(table, 0) / ev:6.1%}")
    print(f"  {'derived, together':<22} {derived / 1e6:9.2f} MB  {derived / ev:6.1%} of events")
    wrong = mismatches(lambda sql: client.query(sql).result_rows)
    print(
        "exactness: derived tables equal events on every site and day" if not wrong else f"MISMATCH {wrong}"
    )
    sites = _sites(client, scenario)
    ok = not wrong
    for label, site in sites:
        print(f"\ndashboard queries, {label} ({site}): derived vs raw events, median of {repeat}")
        print(f"  {'query':<46} {'derived':>9} {'raw':>9} {'ratio':>6}  same rows")
        for name, d, r, same in time_queries(client, site, repeat):
            print(f"  {name:<46} {d * 1000:7.1f}ms {r * 1000:7.1f}ms {d / r:6.2f}  {'yes' if same else 'NO'}")
            ok = ok and same
    client.close()
    return ok


def _sites(client: Any, scenario: str) -> list[tuple[str, str]]:
    if scenario == "big":
        return [("the site", "big")]
    rows = client.query(
        "SELECT site_id, count() AS n FROM events GROUP BY site_id ORDER BY n DESC, site_id"
    ).result_rows
    return [("the largest site", str(rows[0][0])), ("the median site", str(rows[len(rows) // 2][0]))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--scenario", choices=["big", "small", "both"], default="both")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    scenarios = ["big", "small"] if args.scenario == "both" else [args.scenario]
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        ok = all([run(s, args.events, args.repeat, Path(tmp)) for s in scenarios])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
