"""One real worker: enrichment, sessions, uniques, DLQ, live visitors and metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from confluent_kafka import Producer

from bench.processors_workload import publish, visits
from tests.conftest import SECRET, PipelineEnv
from tests.integration.processors.workers import Worker, read_topic

pytestmark = [pytest.mark.kafka]


def test_worker_enriches_sessions_uniques_and_dead_letters(pipeline_env: PipelineEnv) -> None:
    import base64

    env, topics = pipeline_env, pipeline_env.topics
    # Visits of one UTC day (10:00 to at most 11:40): run near midnight, a visitor who comes back
    # an hour later would rightly be unique on both days.
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    hits = list(visits(20, 6, base64.b64decode(SECRET), n_user_agents=30, bot_share=0.5, start=start))
    worker = Worker(env, "solo").start()
    try:
        publish(env.bootstrap, topics["raw"], iter(hits))
        p = Producer({"bootstrap.servers": env.bootstrap})
        p.produce(topics["raw"], key=b"example|x", value=b"not json")
        p.flush(10)
        enriched = read_topic(env.bootstrap, topics["enriched"], len(hits), 120)
        assert len(enriched) == len(hits), worker.service.output()[-3000:]
        events = [json.loads(v) for _, v, _ in enriched]
        assert all("ip_encrypted" not in e and "user_agent" not in e for e in events)
        assert not any("10.0.0." in v.decode() for _, v, _ in enriched)
        keys = {k for k, _, _ in enriched}
        # One first unique per visitor (every visitor's first event is a pageview today).
        assert sum(e["is_unique"] for e in events) == len(keys)
        # Every visitor's first event opens a session; every fourth visitor comes back an hour later.
        assert sum(e["is_new_session"] for e in events) == len(keys) + len(keys) // 4
        assert all(e["session_seq"] >= 1 for e in events if e["session_id"])
        assert any(e["is_bot"] for e in events) and any(e["channel"] == "search" for e in events)

        dlq = read_topic(env.bootstrap, topics["dlq"], 1, 30)
        assert dlq and dlq[0][2]["reason"].startswith(b"invalid canonical event")

        status, metrics = worker.get("/metrics")
        assert status == 200 and "hitstream_processor_events_total" in metrics
        status, live = worker.get("/live/")
        assert status == 200 and isinstance(live, dict)
    except BaseException:
        print(worker.service.output()[-6000:])
        raise
    finally:
        worker.stop()
