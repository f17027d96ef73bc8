"""Command line for the load generator: `python -m bench.load --help`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from bench.load.faults import FAULTS
from bench.load.run import LoadConfig, LoadReport, run_load


def _parse() -> LoadConfig:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    p.add_argument("--rate", type=float, default=500, help="requests per second (default 500)")
    p.add_argument("--duration", type=float, default=30, help="seconds of load (default 30)")
    p.add_argument("--sites", type=int, default=20, help="number of sites (default 20)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--bot-share", type=float, default=0.05)
    p.add_argument("--invalid-share", type=float, default=0.03)
    p.add_argument(
        "--hot-share",
        type=float,
        default=0.0,
        help="share of requests from one hot visitor (one Kafka key), e.g. 0.2",
    )
    p.add_argument("--processors", type=int, default=1, help="faust workers (default 1)")
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--fault", choices=FAULTS, default=None)
    p.add_argument("--fault-at", type=float, default=10, help="seconds into the load (default 10)")
    p.add_argument("--outage", type=float, default=5, help="seconds the fault lasts (default 5)")
    p.add_argument("--state-dir", type=Path, default=Path(".hitstream/load"))
    p.add_argument("--keep-state", action="store_true", help="keep the run's service logs and data")
    a = p.parse_args()
    return LoadConfig(
        rate=a.rate,
        duration_s=a.duration,
        sites=a.sites,
        seed=a.seed,
        bot_share=a.bot_share,
        invalid_share=a.invalid_share,
        hot_share=a.hot_share,
        processors=a.processors,
        partitions=a.partitions,
        fault=a.fault,
        fault_at_s=a.fault_at,
        outage_s=a.outage,
        state_dir=a.state_dir,
        keep_state=a.keep_state,
    )


def print_report(r: LoadReport) -> None:
    rec = r.reconciliation
    print(f"run {r.run}: {r.config.rate:.0f} req/s for {r.config.duration_s:.0f}s, fault={r.config.fault}")
    print("  answers " + ", ".join(f"{k}: {v}" for k, v in r.statuses.items()))
    print(f"  sent {rec.sent}  accepted {rec.accepted}  rejected {rec.rejected}  unanswered {rec.unanswered}")
    print(
        f"  expected stored {rec.expected_stored}  stored {rec.stored}  lost {rec.lost}  "
        f"duplicates {rec.duplicates}  unexpected {rec.unexpected}  "
        f"(physical rows awaiting merge {rec.raw_duplicate_rows})"
    )
    if rec.lost_by_path:
        print(f"  lost by path {rec.lost_by_path}")
    print(
        f"  heartbeats expected {rec.heartbeats_expected} (+ up to {rec.heartbeats_unanswered} unanswered)"
        f"  stored {rec.heartbeats_stored}"
    )
    print(
        f"  visitor mismatches {len(rec.visitor_mismatches)}  "
        f"session mismatches {len(rec.session_mismatches)}"
    )
    print(
        f"  throughput {r.throughput:.0f} accepted/s  ingest p50 {r.ingest_p50_ms:.1f} ms  "
        f"p99 {r.ingest_p99_ms:.1f} ms"
    )
    print(f"  ingest→queryable p50 {r.queryable_p50_ms:.0f} ms  p99 {r.queryable_p99_ms:.0f} ms")
    if r.hot_queryable_ms:
        print(
            f"  hot visitor ingest→queryable p50 {r.hot_queryable_ms[0]:.0f} ms  "
            f"p99 {r.hot_queryable_ms[1]:.0f} ms"
            " (the line above excludes it)"
        )
    print(f"  peak lag {r.peak_lag}")
    print("  peak RSS MB " + ", ".join(f"{k} {v:.0f}" for k, v in r.peak_rss_mb.items()))
    print("  RSS growth after warm-up MB " + ", ".join(f"{k} {v:+.0f}" for k, v in r.rss_growth_mb.items()))
    if r.recovery_s is not None:
        print(f"  time from fault to caught up {r.recovery_s:.1f} s")
    print("  RESULT: " + ("OK" if rec.ok else "MISMATCH"))


def main() -> int:
    report = run_load(_parse())
    print_report(report)
    print(json.dumps(asdict(report), default=str))
    return 0 if report.reconciliation.ok else 1


if __name__ == "__main__":
    sys.exit(main())
