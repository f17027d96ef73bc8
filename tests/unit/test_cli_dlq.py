"""`hitstream dlq count` with no broker: one clear line, fast, not librdkafka's retry noise."""

from __future__ import annotations

import os
import subprocess

from tests.support.services import HITSTREAM, free_port


def test_dlq_count_without_kafka_fails_fast_in_one_line() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nobody listens there
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    result = subprocess.run(
        [HITSTREAM, "dlq", "count"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode != 0
    assert len(lines) <= 3, lines
    assert any(bootstrap in line and "does not answer" in line for line in lines), lines
