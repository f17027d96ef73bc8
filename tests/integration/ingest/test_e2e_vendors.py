"""Each vendor's doc example through real ingest, Kafka, faust and the sink into ClickHouse.

One pipeline for the whole module (a start costs ~10 s); every test uses its own visitor ids or
paths so the tests do not see each other's rows.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from common.kafka import ensure_topics
from ingest.sites import hash_token
from tests.conftest import TEST_STATE, PipelineEnv
from tests.integration.pipeline import RunningPipeline, running_pipeline
from tests.support.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.clickhouse]

SUPALYTICS_KEY = "sly_e2e_" + uuid.uuid4().hex
HITKEEP_TOKEN = "hk_e2e_" + uuid.uuid4().hex
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"
SITES = {
    "sites": [
        {
            "id": "example",
            "domains": ["example.com"],
            "active": True,
            "swetrix_pid": "YOUR_PROJECT_ID",
            "zta_site_id": "site_abc123",
            "tokens": [
                {"id": "sly1", "kind": "supalytics", "sha256": hash_token(SUPALYTICS_KEY)},
                {
                    "id": "hk1",
                    "kind": "hitkeep",
                    "sha256": hash_token(HITKEEP_TOKEN),
                    "permissions": ["site.manage_data"],
                },
            ],
        }
    ]
}


@pytest.fixture(scope="module")
def pipeline(_broker: str) -> Iterator[RunningPipeline]:
    name = f"t{uuid.uuid4().hex[:12]}"
    state = TEST_STATE / name
    state.mkdir(parents=True)
    env = PipelineEnv(name, _broker, state)
    ensure_topics(env.shared())
    with running_pipeline(env, SITES) as p:
        yield p
    shutil.rmtree(state, ignore_errors=True)


def rows(p: RunningPipeline, where: str, n: int = 1) -> list[dict[str, Any]]:
    return wait_for(
        lambda: (r := p.query(f"SELECT * FROM events WHERE {where}")) and len(r) >= n and r,
        60,
        f"{n} row(s) where {where}",
    )


def test_simple_analytics(pipeline: RunningPipeline) -> None:
    status, _ = pipeline.post(
        "/post",
        {
            "url": "https://example.com/sa-e2e?utm_source=nl&email=x",
            "ua": FIREFOX,
            "width": 1440,
            "unique": True,
            "timezone": "Europe/Amsterdam",
        },
    )
    assert status == 200
    (row,) = rows(pipeline, "vendor = 'simple_analytics'")
    assert row["page_path"] == "/sa-e2e" and "email" not in str(row)


def test_zero_trust_stores_people_and_counts_bots(pipeline: RunningPipeline) -> None:
    doc = {
        "type": "pageview",
        "siteId": "site_abc123",
        "path": "/zta-e2e",
        "referrer": "https://google.com",
        "utm": {"source": "google", "medium": "cpc", "campaign": "summer-sale"},
    }
    assert pipeline.post("/api/track", doc, {"User-Agent": FIREFOX})[0] == 200
    assert (
        pipeline.post(
            "/api/track",
            {**doc, "path": "/zta-bot"},
            {
                "User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Origin": "https://example.com",  # a browser's call: its UA is the visitor's
            },
        )[0]
        == 200
    )
    (row,) = rows(pipeline, "vendor = 'zero_trust'")
    assert row["page_path"] == "/zta-e2e" and row["utm_campaign"] == "summer-sale"
    counted = wait_for(
        lambda: pipeline.query("SELECT reason, hits FROM filtered_hits_daily WHERE vendor = 'zero_trust'"),
        60,
        "the filtered bot",
    )
    assert counted[0]["reason"].startswith("crawler") and int(counted[0]["hits"]) == 1
    assert not pipeline.query("SELECT 1 FROM events WHERE page_path = '/zta-bot'")


def test_swetrix_unique_and_heartbeat_rules(pipeline: RunningPipeline) -> None:
    visitor = {"User-Agent": FIREFOX, "X-Client-IP-Address": "192.0.2.10"}
    stranger = {"User-Agent": FIREFOX, "X-Client-IP-Address": "192.0.2.11"}
    assert pipeline.post("/log/hb", {"pid": "YOUR_PROJECT_ID"}, stranger)[0] == 403
    page = {"pid": "YOUR_PROJECT_ID", "lc": "en-US", "pg": "/swx-e2e", "unique": True}
    assert pipeline.post("/log", page, visitor) == (201, b"{}")
    status, body = pipeline.post("/log", page, visitor)
    assert status == 403 and b'"statusCode":403' in body
    assert pipeline.post("/log/hb", {"pid": "YOUR_PROJECT_ID"}, visitor) == (201, b"{}")
    assert pipeline.post("/log/custom", {"pid": "YOUR_PROJECT_ID", "ev": "signup"}, visitor) == (201, b"{}")
    stored = rows(pipeline, "vendor = 'swetrix' AND event_type IN ('pageview', 'custom')", 2)
    assert sorted(r["event_type"] for r in stored) == ["custom", "pageview"]


def test_supalytics(pipeline: RunningPipeline) -> None:
    body = {"name": "subscription_created", "visitor_id": "abc123", "metadata": {"plan": "pro", "amount": 29}}
    assert pipeline.post("/v1/events", body, {"Authorization": f"Bearer {SUPALYTICS_KEY}"}) == (
        200,
        b'{"success":true}',
    )
    (row,) = rows(pipeline, "vendor = 'supalytics'")
    assert row["event_name"] == "subscription_created"


def test_hitkeep(pipeline: RunningPipeline) -> None:
    doc = {
        "dnt": False,
        "language": "en-US",
        "page_id": "2489E9AD-2EE2-8E00-8EC9-32D5F69181C0",
        "referrer": "https://duckduckgo.com/",
        "screen_height": 1,
        "screen_width": 1,
        "session_id": "2489E9AD-2EE2-8E00-8EC9-32D5F69181C0",
        "timestamp": "2026-04-15T12:00:00Z",
        "url": "https://example.com/hk-e2e",
        "user_agent": FIREFOX,
        "viewport_height": 1,
        "viewport_width": 1,
        "visitor_ip": "192.0.2.1",
    }
    auth = {"Authorization": f"Bearer {HITKEEP_TOKEN}"}
    assert pipeline.post("/api/ingest/server/pageview", doc, auth) == (202, b"")
    assert pipeline.post(
        "/api/ingest/server/pageview", {**doc, "dnt": True, "url": "https://example.com/hk-dnt"}, auth
    ) == (202, b"")
    (row,) = rows(pipeline, "vendor = 'hitkeep'")
    assert row["page_path"] == "/hk-e2e" and str(row["event_time"]).startswith("2026-04-15")
    assert not pipeline.query("SELECT 1 FROM events WHERE page_path = '/hk-dnt'")
