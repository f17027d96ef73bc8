"""A normal stop is not a crash: every service, stopped with SIGTERM after real work, exits 0 and
logs nothing at error level.

An operator tells a clean stop from a crash by the log's levels (and alerts on `error`), so a stop
that logs `Crashed reason=StopAsyncIteration` (faust's actor, before `faust_internals.take` ended
the batch loop on a stop) or any other error line is a false alarm on every deployment.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import PipelineEnv
from tests.integration.pipeline import running_pipeline
from tests.support.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"
BAD_LEVELS = {"error", "critical", "fatal"}


def error_lines(log: str) -> list[str]:
    """Lines at error level or worse: JSON records by their `level`, anything else (a library
    writing straight to stderr) by the words a traceback or an error report carries."""
    bad = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback" in line or "ERROR" in line or "CRITICAL" in line:
                bad.append(line)
            continue
        if isinstance(record, dict) and str(record.get("level", "")).lower() in BAD_LEVELS:
            bad.append(line)
    return bad


def test_error_lines_reads_json_levels_and_raw_tracebacks() -> None:
    assert error_lines('{"level": "info", "msg": "stopped"}\nplain text') == []
    assert len(error_lines('{"level": "ERROR", "msg": "x"}\nTraceback (most recent call last):')) == 2


def test_sigterm_stops_every_service_without_an_error_line(pipeline_env: PipelineEnv) -> None:
    with running_pipeline(pipeline_env) as p:
        status, _ = p.post(
            "/api/track",
            {"type": "pageview", "siteId": "site_abc123", "path": "/clean-stop"},
            headers={"User-Agent": FIREFOX},
        )
        assert status == 200
        # Stored: each service has done real work (consumed, produced, inserted) before its stop.
        wait_for(
            lambda: p.query("SELECT count() AS n FROM events WHERE page_path = '/clean-stop'")[0]["n"] == 1,
            60,
            "the event in ClickHouse",
        )
        for name in ("ingest", "process", "sink"):  # the order an orchestrator drains a pipeline in
            svc = p.services[name]
            before = len(svc.output())  # start-up is not the subject: only what the stop logs
            code = svc.stop(60.0)
            stop_log = svc.output()[before:]
            assert code == 0, f"{name} exited {code} on SIGTERM:\n{stop_log[-4000:]}"
            bad = error_lines(stop_log)
            assert not bad, f"{name} logged at error level on a clean stop:\n" + "\n".join(bad[:20])
