"""The benchmarks still run (tiny sizes; the figures are meaningless here)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from common.settings import REPO_ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_sink_benchmark_runs(kafka_bootstrap: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.sink", "--rows", "2000", "--batch-rows", "500",
         "--rate", "200", "--seconds", "2"],
        cwd=REPO_ROOT, env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "direct clickhouse-connect insert" in out.stdout and "p99" in out.stdout


def test_analytics_benchmark_runs_and_finds_the_derived_tables_exact() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.analytics", "--events", "30000", "--scenario", "small",
         "--repeat", "1"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "derived tables equal events on every site and day" in out.stdout
    assert "% of bare" in out.stdout and "of events" in out.stdout and " NO" not in out.stdout
