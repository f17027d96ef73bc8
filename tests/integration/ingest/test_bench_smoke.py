"""The ingest benchmark still runs (tiny size): not a measurement, just so the script does not rot."""

from __future__ import annotations

import os

import pytest

pytestmark = [pytest.mark.kafka]


def test_bench_ingest_runs(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import ingest as bench

    monkeypatch.setitem(os.environ, "KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    results = bench.main(
        [
            "--duration",
            "1",
            "--connections",
            "4",
            "--endpoints",
            "zero_trust",
            "--servers",
            "granian,uvicorn",
            "--loadgen",
            "python",
        ]
    )
    assert results["raw-kafka"]["accepted_per_s"] > 0
    assert results["ingest/granian"]["zero_trust"]["accepted_per_s"] > 0
    assert results["ingest/granian"]["zero_trust"]["non2xx"] == 0
    assert results["trivial/granian"]["zero_trust"]["accepted_per_s"] > 0
    assert results["ingest/uvicorn"]["zero_trust"]["accepted_per_s"] > 0
    assert results["ingest/uvicorn"]["zero_trust"]["non2xx"] == 0
    assert results["trivial/uvicorn"]["zero_trust"]["accepted_per_s"] > 0
