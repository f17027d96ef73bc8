"""The processor benchmark still runs (tiny sizes), so it does not rot between real runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from common.settings import REPO_ROOT

pytestmark = [pytest.mark.kafka]


def test_processor_benchmark_runs_at_a_tiny_size(kafka_bootstrap: str) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.processors",
            "--events",
            "400",
            "--visitors",
            "300",
            "--partitions",
            "2",
            "--timeout",
            "180",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "visitors in state" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("processors: worker ")
