"""Short versions of the load and fault runs (bench/load): seconds, not minutes, so regressions
show in CI. Each run starts its own pipeline, sends a mixed five-vendor load, optionally injects a
fault, and reconciles ClickHouse against what was answered: nothing lost, nothing duplicated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load.run import LoadConfig, run_load
from common.settings import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.clickhouse]

STATE = REPO_ROOT / ".hitstream" / "test" / "load"


def _config(bootstrap: str | None, **kw: object) -> LoadConfig:
    base: dict[str, object] = dict(
        rate=60,
        duration_s=8,
        sites=4,
        partitions=3,
        state_dir=Path(STATE),
        bootstrap=bootstrap,
        fault_at_s=3,
        outage_s=2,
    )
    base.update(kw)
    return LoadConfig(**base)  # type: ignore[arg-type]


def _check(cfg: LoadConfig, session_split_allowance: float = 0.0) -> None:
    report = run_load(cfg)
    rec = report.reconciliation
    assert rec.accepted > 0 and rec.stored > 0, report.statuses
    assert rec.lost == 0, f"lost {rec.lost} accepted events ({report.statuses})"
    assert rec.duplicates == 0, f"{rec.duplicates} duplicates"
    assert rec.unexpected == 0, f"{rec.unexpected} rows that should not exist"
    assert rec.heartbeats_ok, (rec.heartbeats_expected, rec.heartbeats_unanswered, rec.heartbeats_stored)
    assert not rec.visitor_mismatches, rec.visitor_mismatches
    assert not rec.derived_mismatches, rec.derived_mismatches
    for site, (want, got) in rec.session_mismatches.items():
        assert want <= got <= want * (1 + session_split_allowance), (site, want, got)


def test_steady_mixed_load_reconciles(kafka_bootstrap: str) -> None:
    _check(_config(kafka_bootstrap, processors=2))


@pytest.mark.parametrize("fault", ["kill-sink", "kill-ingest", "clickhouse-refuse"])
def test_fault_under_load_loses_and_duplicates_nothing(kafka_bootstrap: str, fault: str) -> None:
    _check(_config(kafka_bootstrap, fault=fault))


def test_worker_kill_loses_nothing_and_splits_few_sessions(kafka_bootstrap: str) -> None:
    """kill -9 of the faust worker: nothing lost or duplicated. State written after the last
    changelog flush is gone, so a visitor active at that instant may see their session split in
    two (never merged, never lost): see docs/reliability.md. Bounded here at 15% per site."""
    _check(_config(kafka_bootstrap, fault="kill-processor"), session_split_allowance=0.15)


def test_broker_restart_under_load_loses_and_duplicates_nothing(kafka_bootstrap: str) -> None:
    # Needs a broker of its own to restart; kafka_bootstrap only asserts the marker and warms the jars.
    _check(_config(None, fault="restart-broker"))
