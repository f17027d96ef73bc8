"""Rules beyond single corpus answers: session verdicts, Kafka down, rate limits, field mapping."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import orjson

from ingest.app import build_router
from ingest.http_types import Request, Response
from ingest.routing import Services
from ingest.sites import SiteRegistry
from tests.unit.ingest.fakes import (
    HITKEEP_TOKEN,
    SUPALYTICS_KEY,
    FakePublisher,
    FakeSessions,
    make_services,
)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
ROUTER = build_router()


def call(
    svc: Services, path: str, body: dict[str, object], headers: dict[str, str] | None = None
) -> Response:
    req = Request(
        "POST", path, {"user-agent": BROWSER, **(headers or {})}, orjson.dumps(body), "198.51.100.7"
    )
    return asyncio.run(ROUTER.dispatch(req, svc))


def test_swetrix_asks_for_a_verdict_before_publishing(tmp_path: Path) -> None:
    pub, sessions = FakePublisher(), FakeSessions()
    svc = make_services(tmp_path, pub, sessions)
    resp = call(
        svc,
        "/log/custom",
        {"pid": "YOUR_PROJECT_ID", "ev": "signup", "unique": True},
        {"x-client-ip-address": "192.0.2.1"},
    )
    assert resp.status == 201
    (touch,) = sessions.touches
    assert (touch.kind, touch.unique, touch.event_name) == ("custom", True, "signup")
    assert touch.key.encode() == pub.sent[0][0] and touch.key.startswith("example|")


def test_swetrix_refused_verdict_is_403_and_publishes_nothing(tmp_path: Path) -> None:
    pub, sessions = FakePublisher(), FakeSessions(refuse=True)
    svc = make_services(tmp_path, pub, sessions)
    for path, body in (
        ("/log", {"pid": "YOUR_PROJECT_ID", "unique": True}),
        ("/log/hb", {"pid": "YOUR_PROJECT_ID"}),
    ):
        resp = call(svc, path, body)
        assert resp.status == 403
        assert orjson.loads(resp.body)["error"] == "Forbidden"
    assert pub.sent == []


def test_swetrix_without_session_service_is_503_with_retry_after(tmp_path: Path) -> None:
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions(down=True))
    resp = call(svc, "/log", {"pid": "YOUR_PROJECT_ID"})
    assert resp.status == 503 and ("retry-after", "5") in resp.headers
    assert orjson.loads(resp.body)["statusCode"] == 503
    assert pub.sent == []


def test_kafka_down_is_503_with_retry_after_on_every_vendor(tmp_path: Path) -> None:
    svc = make_services(tmp_path, FakePublisher(down=True), FakeSessions())
    requests = [
        ("/post", {"url": "https://example.com/"}, {}),
        ("/api/track", {"type": "pageview", "siteId": "site_abc123"}, {}),
        ("/log", {"pid": "YOUR_PROJECT_ID"}, {}),
        ("/v1/events", {"name": "x"}, {"authorization": f"Bearer {SUPALYTICS_KEY}"}),
        (
            "/api/ingest/server/pageview",
            {
                "url": "https://example.com/",
                "timestamp": "2026-01-01T00:00:00Z",
                "visitor_ip": "192.0.2.1",
                "user_agent": BROWSER,
            },
            {"authorization": f"Bearer {HITKEEP_TOKEN}"},
        ),
    ]
    for path, body, headers in requests:
        resp = call(svc, path, body, headers)
        assert resp.status == 503, path
        assert ("retry-after", "5") in resp.headers, path


def test_a_zta_batch_kafka_took_in_part_lists_the_rest_instead_of_a_503(tmp_path: Path) -> None:
    """A 503 would make the tracker send the whole batch again, and the published events would be
    stored twice (a retry gets new event ids); so a 503 only when nothing was published."""
    batch = {
        "batch": True,
        "siteId": "site_abc123",
        "events": [{"type": "pageview", "path": f"/{i}"} for i in range(3)],
    }
    pub = FakePublisher(capacity=2)
    resp = call(make_services(tmp_path, pub, FakeSessions()), "/api/track", batch)
    assert resp.status == 200
    assert orjson.loads(resp.body) == {
        "success": True,
        "count": 2,
        "rejected": [{"index": 2, "error": "Kafka did not acknowledge the event in time"}],
    }
    assert [e.page_path for e in pub.events] == ["/0", "/1"]
    resp = call(make_services(tmp_path, FakePublisher(down=True), FakeSessions()), "/api/track", batch)
    assert resp.status == 503 and ("retry-after", "5") in resp.headers


class _BrokenSites(SiteRegistry):
    """A registry whose every lookup fails: what no bug in a lookup may turn into a 500."""

    def _maybe_reload(self, force: bool = False) -> None:
        if not force:
            raise RuntimeError("lookup failed")


def test_a_failing_lookup_in_checks_or_cors_is_a_4xx_never_a_500(tmp_path: Path) -> None:
    svc = make_services(tmp_path, FakePublisher(), FakeSessions())
    svc = replace(svc, sites=_BrokenSites(tmp_path / "sites.json"))
    origin = {"origin": "https://example.com"}
    zta = call(svc, "/api/track", {"type": "pageview", "siteId": "site_abc123"}, origin)
    assert zta.status == 400 and orjson.loads(zta.body) == {"error": "The request could not be processed"}
    req = Request(
        "POST",
        "/api/ingest/server/pageview",
        {"authorization": f"Bearer {HITKEEP_TOKEN}"},
        b"",
        "198.51.100.7",
    )
    checked = ROUTER.precheck(req, svc)
    assert checked is not None and checked.status == 400


def test_supalytics_rate_limit_headers_and_429(tmp_path: Path) -> None:
    svc = make_services(tmp_path, FakePublisher(), FakeSessions(), rate=3)
    auth = {"authorization": f"Bearer {SUPALYTICS_KEY}"}
    answers = [call(svc, "/v1/events", {"name": "x"}, auth) for _ in range(4)]
    statuses = [r.status for r in answers]
    # A window boundary may fall between requests; at most the first three of a window pass.
    assert statuses.count(429) <= 1 and statuses[:3].count(200) >= 2
    for r in answers:
        h = dict(r.headers)
        assert h["x-ratelimit-limit"] == "3" and int(h["x-ratelimit-reset"]) > 0
        assert 0 <= int(h["x-ratelimit-remaining"]) <= 2


def test_hitkeep_rate_limit_is_429_per_caller(tmp_path: Path) -> None:
    svc = make_services(tmp_path, FakePublisher(), FakeSessions(), rate=1)
    auth = {"authorization": f"Bearer {HITKEEP_TOKEN}"}
    statuses = {call(svc, "/api/ingest/server/pageview", {}, auth).status for _ in range(5)}
    assert 429 in statuses
    assert orjson.loads(call(svc, "/api/ingest/server/pageview", {}, auth).body).keys() == {"message"}


def test_simple_analytics_strips_urls_and_maps_fields(tmp_path: Path) -> None:
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions())
    call(
        svc,
        "/post",
        {
            "url": "https://user:pw@www.Example.com:8443/a/b?utm_source=nl&email=x%40y&ref=hn#frag",
            "urlReferrer": "blog",
            "unique": True,
            "width": 1440.0,
            "timezone": "Europe/Amsterdam",
        },
    )
    (e,) = pub.events
    assert e.page_url == "https://www.example.com:8443/a/b?utm_source=nl&ref=hn"
    assert (e.page_path, e.hostname, e.ref, e.utm_source) == ("/a/b", "www.example.com", "blog", "nl")
    assert (e.client_unique, e.viewport_width, e.timezone, e.user_agent) == (
        True,
        1440,
        "Europe/Amsterdam",
        BROWSER,
    )
    # The socket peer is the site's backend, never the visitor: no IP travels, and the Kafka key
    # is the event's own (an anonymous hit), not a hash of the backend's address.
    assert e.ip_encrypted is None and "198.51.100.7" not in e.model_dump_json()
    assert pub.sent[0][0] == f"example|a:{e.event_id}".encode()


def test_hitkeep_uses_body_ip_ua_and_timestamp(tmp_path: Path) -> None:
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions())
    resp = call(
        svc,
        "/api/ingest/server/pageview",
        {
            "url": "https://example.com/p?utm_campaign=c&hk_qr=q1",
            "timestamp": "2024-02-03T04:05:06+02:00",
            "visitor_ip": "192.0.2.1",
            "user_agent": "UA-from-body",
            "session_id": "2489E9AD-2EE2-8E00-8EC9-32D5F69181C0",
        },
        {"authorization": f"Bearer {HITKEEP_TOKEN}"},
    )
    assert (resp.status, resp.body) == (202, b"")
    (e,) = pub.events
    assert e.event_time.isoformat() == "2024-02-03T02:05:06+00:00"
    assert (e.user_agent, e.utm_campaign, e.properties) == ("UA-from-body", "c", {"hk_qr": "q1"})
    assert e.session_hint == "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"
    assert pub.sent[0][0] == b"example|2489e9ad-2ee2-8e00-8ec9-32d5f69181c0"


def test_supalytics_metadata_becomes_string_properties(tmp_path: Path) -> None:
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions())
    call(
        svc,
        "/v1/events",
        {
            "name": "paid",
            "visitor_id": "v1",
            "metadata": {"plan": "pro", "amount": 29, "yearly": False, "x": 1.5},
        },
        {"authorization": f"Bearer {SUPALYTICS_KEY}"},
    )
    (e,) = pub.events
    assert e.properties == {"plan": "pro", "amount": "29", "yearly": "false", "x": "1.5"}
    assert (e.event_name, e.visitor_id, e.event_type) == ("paid", "v1", "custom")
    assert pub.sent[0][0] == b"example|v1"


def test_zta_bot_is_published_only_as_filtered(tmp_path: Path) -> None:
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions())
    resp = call(
        svc,
        "/api/track",
        {"type": "pageview", "siteId": "site_abc123"},
        {"user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)", "origin": "https://example.com"},
    )
    assert (resp.status, orjson.loads(resp.body)) == (200, {"success": True})
    (e,) = pub.events
    assert e.filtered_reason and e.filtered_reason.startswith("crawler")


def test_a_backend_relaying_many_visitors_is_none_of_them(tmp_path: Path) -> None:
    """130 Simple Analytics posts from one backend with one common UA: 130 anonymous hits, each
    with a key of its own, none carrying the backend's address."""
    pub = FakePublisher()
    svc = make_services(tmp_path, pub, FakeSessions())
    for i in range(130):
        resp = call(svc, "/post", {"url": f"https://example.com/p{i}", "ua": BROWSER})
        assert resp.status == 200
    assert len({key for key, _ in pub.sent}) == 130
    assert all(e.ip_encrypted is None for e in pub.events)


def test_unknown_path_and_wrong_method(tmp_path: Path) -> None:
    svc = make_services(tmp_path, FakePublisher(), FakeSessions())
    assert asyncio.run(ROUTER.dispatch(Request("POST", "/nope", {}, b"", None), svc)).status == 404
    resp = asyncio.run(ROUTER.dispatch(Request("DELETE", "/v1/events", {}, b"", None), svc))
    assert resp.status == 405 and ("allow", "POST") in resp.headers
