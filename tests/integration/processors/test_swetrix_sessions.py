"""The Swetrix session endpoint through real workers: any worker answers, the owner decides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from processors.rules.swetrix_sessions import NO_LIVE_SESSION
from schemas.swetrix_sessions import SESSION_PATH
from tests.conftest import PipelineEnv
from tests.integration.processors.workers import Worker
from tests.support.services import wait_for

pytestmark = [pytest.mark.kafka]


def touch(key: str, kind: str, unique: bool = False, name: str | None = None) -> dict[str, object]:
    at = datetime.now(UTC).isoformat()
    return {"key": key, "kind": kind, "unique": unique, "event_name": name, "at": at}


def test_two_workers_share_swetrix_session_state(pipeline_env: PipelineEnv) -> None:
    a = Worker(pipeline_env, "a").start()
    b = Worker(pipeline_env, "b").start()
    try:
        probe = touch("site|probe", "pageview")
        for w in (a, b):
            wait_for(lambda w=w: w.ready(probe), 120, f"worker {w.port} serving")
        # Both workers answer for keys on every partition: one of them forwards to the owner.
        for i in range(12):
            key = f"example|visitor-{i}"
            first, second = (a, b) if i % 2 else (b, a)
            assert first.post(SESSION_PATH, touch(key, "heartbeat")) == (
                200,
                {"accept": False, "reason": NO_LIVE_SESSION},
            )
            assert first.post(SESSION_PATH, touch(key, "pageview", unique=True)) == (
                200,
                {"accept": True, "reason": None},
            )
            status, verdict = second.post(SESSION_PATH, touch(key, "pageview", unique=True))
            assert status == 200 and verdict["accept"] is False
            assert second.post(SESSION_PATH, touch(key, "heartbeat"))[1]["accept"] is True
            assert second.post(SESSION_PATH, touch(key, "custom", unique=True, name="e"))[1]["accept"] is True
            assert first.post(SESSION_PATH, touch(key, "custom", unique=True, name="e"))[1]["accept"] is False
        assert a.post(SESSION_PATH, {"key": "x"})[0] == 400
    except BaseException:
        print(a.service.output()[-5000:], b.service.output()[-5000:])
        raise
    finally:
        a.stop()
        b.stop()
