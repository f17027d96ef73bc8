"""The ASGI adapter: caps and header checks before the body, service endpoints, OpenAPI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from ingest.server.asgi_uvicorn import IngestASGI
from ingest.settings import IngestSettings
from tests.unit.ingest.asgi import call
from tests.unit.ingest.fakes import HITKEEP_TOKEN, FakePublisher, FakeSessions, make_services


@pytest.fixture
def app(tmp_path: Path) -> IngestASGI:
    return IngestASGI(IngestSettings(), make_services(tmp_path, FakePublisher(), FakeSessions()))


def test_hitkeep_authenticates_before_reading_the_body(app: IngestASGI) -> None:
    a = asyncio.run(call(app, "POST", "/api/ingest/server/pageview", b"x" * 200_000))
    assert a.status == 401 and a.body_reads == 0
    assert orjson.loads(a.body).keys() == {"message"}


def test_hitkeep_oversized_body_is_400(app: IngestASGI) -> None:
    a = asyncio.run(
        call(
            app,
            "POST",
            "/api/ingest/server/pageview",
            b"x" * (64 * 1024 + 1),
            {"authorization": f"Bearer {HITKEEP_TOKEN}"},
        )
    )
    assert a.status == 400 and "limit" in orjson.loads(a.body)["message"]


def test_swetrix_over_100kb_is_413_nestjs_shaped(app: IngestASGI) -> None:
    a = asyncio.run(call(app, "POST", "/log", b" " * 100_001))
    assert a.status == 413
    assert orjson.loads(a.body)["error"] == "Payload Too Large"


def test_service_endpoints(app: IngestASGI) -> None:
    assert asyncio.run(call(app, "GET", "/healthz")).status == 200
    asyncio.run(call(app, "POST", "/log", b'{"pid": "YOUR_PROJECT_ID"}', {"user-agent": "Mozilla/5.0"}))
    metrics = asyncio.run(call(app, "GET", "/metrics"))
    assert metrics.status == 200
    assert b'hitstream_ingest_requests_total{endpoint="/log",status="201",vendor="swetrix"}' in metrics.body
    assert b"hitstream_ingest_publish_seconds" in metrics.body
    assert asyncio.run(call(app, "POST", "/healthz")).status == 405


def test_openapi_lists_every_route(app: IngestASGI) -> None:
    doc = orjson.loads(asyncio.run(call(app, "GET", "/openapi.json")).body)
    assert doc["openapi"].startswith("3.")
    for route in app.core.router.routes:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["summary"] and str(route.responses and min(route.responses)) in op["responses"]
        if route.body_model is not None:
            assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
                route.body_model.__name__
            )
    committed = Path(__file__).parents[3] / "docs" / "openapi.json"
    assert orjson.loads(committed.read_bytes()) == doc, "regenerate: hitstream openapi > docs/openapi.json"
