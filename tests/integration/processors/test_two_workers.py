"""Two workers on a multi-partition topic, across a rebalance, give the answer one worker would.

The reference is the pure pipeline run in-process, key by key in publish order (which is what a
single worker sees per partition). Worker B joins while A runs, so partitions and their session
and uniques state move from A to B mid-stream.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from bench.processors_workload import Hit, publish, visits
from common.kafka import ensure
from processors import batch
from processors.batch import RawMessage
from processors.enrich import Enricher
from processors.rules.sessions import Limits
from processors.salts import KafkaSaltStore, topic_spec
from schemas.events import CanonicalEvent
from tests.conftest import SECRET, PipelineEnv
from tests.integration.processors.workers import Worker, read_topic
from tests.support.services import wait_for

pytestmark = [pytest.mark.kafka]
COMPARED = ("session_id", "is_new_session", "session_seq", "is_unique", "is_late", "is_bot")


def reference(hits: list[Hit]) -> dict[str, tuple[object, ...]]:
    """The pure batch function over every hit in publish order, as one worker would see them."""
    decoded = batch.decode([RawMessage(h.key, h.value, 0, i) for i, h in enumerate(hits)])
    salts = {day: b"any salt" for day in batch.salt_days(decoded)}
    result = batch.process(decoded, {}, batch.Rules(Enricher(base64.b64decode(SECRET)), Limits(), salts))
    events = [json.loads(o.value) for o in result.outputs]
    return {e["event_id"]: tuple(e[f] for f in COMPARED) for e in events}


def test_two_workers_across_a_rebalance_match_one(pipeline_env: PipelineEnv) -> None:
    env, topics = pipeline_env, pipeline_env.topics
    per_visitor: dict[bytes, list[Hit]] = defaultdict(list)
    start = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)  # one UTC day
    for h in visits(60, 8, base64.b64decode(SECRET), n_user_agents=200, start=start):
        per_visitor[h.key].append(h)
    # In arrival order, as ingest publishes: the processors' session expiry relies on it.
    first = sorted((h for hs in per_visitor.values() for h in hs[:4]), key=_received_at)
    second = sorted((h for hs in per_visitor.values() for h in hs[4:]), key=_received_at)
    a = Worker(env, "a").start()
    b = Worker(env, "b")
    try:
        publish(env.bootstrap, topics["raw"], iter(first))
        assert len(read_topic(env.bootstrap, topics["enriched"], len(first), 120)) == len(first)
        b.start()
        wait_for(
            lambda: b.ready({"key": "x|y", "kind": "pageview", "at": datetime.now(UTC).isoformat()}),
            120,
            "worker B serving",
        )
        publish(env.bootstrap, topics["raw"], iter(second))
        total = len(first) + len(second)
        got = wait_for(lambda: _all_ids(env, total), 180, "every event enriched")
        events = [json.loads(v) for _, v, _ in got]
        # A redelivered event that changed no state may be emitted twice: identically.
        copies: dict[str, set[tuple[object, ...]]] = defaultdict(set)
        for e in events:
            copies[e["event_id"]].add(tuple(e[f] for f in COMPARED))
        assert all(len(c) == 1 for c in copies.values())
        actual = {eid: next(iter(c)) for eid, c in copies.items()}
        assert actual == reference(first + second)
        # Every key kept one visitor key: both workers used the same daily salt.
        by_key: dict[bytes | None, set[str]] = defaultdict(set)
        for (k, _, _), e in zip(got, events, strict=True):
            by_key[k].add(e["visitor_key"])
        assert all(len(v) == 1 for v in by_key.values())
        # B really took over partitions.
        assert 'outcome="enriched"' in b.get("/metrics")[1]
    except BaseException:
        print(a.service.output()[-4000:], b.service.output()[-4000:])
        raise
    finally:
        b.stop()
        a.stop()


def _received_at(hit: Hit) -> datetime:
    return CanonicalEvent.model_validate_json(hit.value).received_at


def _all_ids(env: PipelineEnv, total: int) -> list[tuple[bytes | None, bytes, dict[str, bytes]]] | None:
    got = read_topic(env.bootstrap, env.topics["enriched"], 10**9, 5)
    return got if len({json.loads(v)["event_id"] for _, v, _ in got}) >= total else None


def test_concurrent_workers_agree_on_the_daily_salt(pipeline_env: PipelineEnv) -> None:
    topic = f"{pipeline_env.name}-salts"
    shared = pipeline_env.shared()
    ensure(shared, [topic_spec(topic, 1)])
    stores = [KafkaSaltStore(shared, topic) for _ in range(4)]
    today = datetime.now(UTC).date()
    results: list[bytes | None] = [None] * len(stores)

    def fetch(i: int) -> None:
        results[i] = stores[i].salt_for(today)

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results[0] is not None and len(set(results)) == 1
    # A fresh worker (restart) reads the same salt back.
    assert KafkaSaltStore(shared, topic).salt_for(today) == results[0]
