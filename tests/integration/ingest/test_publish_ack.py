"""2xx only after Kafka acknowledged: every 2xx is in the topic; a dead broker gives 503 + Retry-After."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Consumer

from common.crypto import IpCipher, RoutingHasher
from common.settings import SharedSettings
from ingest.pipeline import EventPipeline
from ingest.publisher import Publisher
from ingest.ratelimit import RateLimiter
from ingest.routing import Services
from ingest.server.asgi_uvicorn import IngestASGI
from ingest.settings import IngestSettings
from ingest.sites import SiteRegistry
from tests.conftest import PipelineEnv
from tests.support.services import free_port
from tests.unit.ingest.asgi import call
from tests.unit.ingest.fakes import SECRET, SITES, FakeSessions

pytestmark = [pytest.mark.kafka]
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"


def _app(tmp: Path, publisher: Publisher) -> IngestASGI:
    sites = tmp / "sites.json"
    sites.write_text(json.dumps(SITES))
    svc = Services(
        EventPipeline(
            publisher, IpCipher.from_secret(SECRET), RoutingHasher.from_secret(SECRET), FakeSessions()
        ),
        SiteRegistry(sites),
        (),
        RateLimiter(1000),
        RateLimiter(1000),
    )
    return IngestASGI(IngestSettings(), svc)


async def _send_many(app: IngestASGI, n: int) -> list[int]:
    body = orjson.dumps({"type": "pageview", "siteId": "site_abc123", "path": "/ack"})
    answers = await asyncio.gather(
        *(call(app, "POST", "/api/track", body, {"user-agent": FIREFOX}) for _ in range(n))
    )
    return [a.status for a in answers]


def test_every_2xx_is_in_the_topic(pipeline_env: PipelineEnv, tmp_path: Path) -> None:
    topic = pipeline_env.topics["raw"]
    publisher = Publisher(pipeline_env.shared(), topic, timeout_s=10, queue_max_messages=1000, linger_ms=5)
    try:
        statuses = asyncio.run(_send_many(_app(tmp_path, publisher), 200))
    finally:
        publisher.close()
    assert statuses == [200] * 200
    consumer = Consumer(
        {
            "bootstrap.servers": pipeline_env.bootstrap,
            "group.id": pipeline_env.name,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    seen: set[str] = set()
    try:
        for _ in range(120):
            for msg in consumer.consume(500, timeout=0.5):
                if msg.error() is None:
                    seen.add(json.loads(msg.value())["event_id"])
            if len(seen) >= 200:
                break
    finally:
        consumer.close()
    assert len(seen) == 200


def test_unreachable_kafka_is_503_with_retry_after(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    publisher = Publisher(
        SharedSettings(kafka_bootstrap_servers=dead),
        "nowhere",
        timeout_s=1.0,
        queue_max_messages=10,
        linger_ms=0,
    )
    try:
        statuses = asyncio.run(_send_many(_app(tmp_path, publisher), 3))
        assert statuses == [503] * 3
        one = asyncio.run(
            call(
                _app(tmp_path, publisher),
                "POST",
                "/log",
                b'{"pid": "YOUR_PROJECT_ID"}',
                {"user-agent": FIREFOX},
            )
        )
        assert one.status == 503 and one.headers.get("retry-after") == "5"
        assert json.loads(one.body)["statusCode"] == 503
    finally:
        publisher.close(timeout_s=1)


def test_a_full_queue_answers_503_at_once(tmp_path: Path) -> None:
    publisher = Publisher(
        SharedSettings(kafka_bootstrap_servers=f"127.0.0.1:{free_port()}"),
        "nowhere",
        timeout_s=3.0,
        queue_max_messages=2,
        linger_ms=0,
    )
    try:
        statuses = asyncio.run(_send_many(_app(tmp_path, publisher), 6))
        assert statuses.count(503) == 6
    finally:
        publisher.close(timeout_s=1)
