"""Real traffic through the real pipeline: every wire-level request of the corpus (the vendor docs'
examples, the vendors' own clients and trackers, relaying backends) over HTTP into ingest, then
through Kafka, the processors and the sink into ClickHouse; then the server-side scenarios a new
user hits on their first day. One pipeline for the module (a start costs ~10 s).

A case's rows are found by arrival: cases are sent one after another, each event's `received_at`
is stamped by ingest while its request is in flight, so the window between sending a request and
reading its answer holds exactly that request's events.
"""

from __future__ import annotations

import http.client
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from common.kafka import ensure_topics
from tests.conftest import TEST_STATE, PipelineEnv
from tests.integration.pipeline import RunningPipeline, running_pipeline
from tests.support.services import listening_addresses, wait_for
from tests.unit.ingest import fakes
from tests.unit.ingest.corpus_loader import Case, check_answer, load

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.clickhouse]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
LIBRARIES = ("curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1", "axios/1.7.7", "okhttp/4.12.0", "")
LOOPBACK = {"127.0.0.1", "::1"}


@pytest.fixture(scope="module")
def pipeline(_broker: str) -> Iterator[RunningPipeline]:
    name = f"t{uuid.uuid4().hex[:12]}"
    state = TEST_STATE / name
    state.mkdir(parents=True)
    env = PipelineEnv(name, _broker, state)
    ensure_topics(env.shared())
    with running_pipeline(env, fakes.SITES) as p:
        yield p
    shutil.rmtree(state, ignore_errors=True)


def send(
    p: RunningPipeline, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One request exactly as given: no User-Agent or other header is added."""
    conn = http.client.HTTPConnection(p.ingest_url.removeprefix("http://"), timeout=15)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _ms(t: float) -> int:
    return int(t * 1000)


def rows_between(p: RunningPipeline, t0: float, t1: float, where: str = "1") -> list[dict[str, Any]]:
    return p.query(
        "SELECT * FROM events WHERE received_at BETWEEN "
        f"fromUnixTimestamp64Milli({_ms(t0)}) AND fromUnixTimestamp64Milli({_ms(t1) + 1}) AND {where} "
        "ORDER BY received_at, kafka_offset"
    )


def test_every_corpus_request_through_http_kafka_and_clickhouse(pipeline: RunningPipeline) -> None:
    cases = load()
    windows: list[tuple[Case, float, float]] = []
    for case in cases:
        t0 = time.time()
        status, headers, body = send(pipeline, case.method, case.path, case.headers, case.body)
        t1 = time.time()
        check_answer(case, status, headers, body)
        windows.append((case, t0, t1))
        time.sleep(0.005)  # windows of consecutive cases never share a millisecond
    start, end = windows[0][1], windows[-1][2]
    stored = sum(int(c.spec.get("stored", 0)) for c in cases)
    filtered = sum(int(c.spec.get("filtered", 0)) for c in cases)
    wait_for(lambda: len(rows_between(pipeline, start, end)) >= stored or None, 120, f"{stored} corpus rows")
    for case, t0, t1 in windows:
        got = rows_between(pipeline, t0, t1)
        assert len(got) == int(case.spec.get("stored", 0)), (case.id, got)
        for want, row in zip(case.spec.get("rows", []), got, strict=False):
            assert {k: row.get(k) for k in want} == want, (case.id, row)
    day = datetime.fromtimestamp(start, UTC).date().isoformat()
    counted = wait_for(
        lambda: (
            (r := pipeline.query(f"SELECT sum(hits) AS n FROM filtered_hits_daily WHERE day = '{day}'"))
            and int(r[0]["n"]) >= filtered
            and r
        ),
        60,
        f"{filtered} filtered bot hits",
    )
    assert int(counted[0]["n"]) == filtered


def test_a_backend_relaying_many_visitors_is_none_of_them(pipeline: RunningPipeline) -> None:
    """130 Simple Analytics posts from one backend with one common Chrome UA at 32/s: nobody is
    flagged a bot by behaviour, nobody is merged into one visitor, and uniqueness is what SA's own
    `unique` flag says."""
    t0 = time.time()
    for i in range(130):
        body = orjson.dumps({"url": f"https://example.com/relay/{i}", "ua": CHROME, "unique": i % 3 == 0})
        status, _, _ = send(pipeline, "POST", "/post", {"User-Agent": "node"}, body)
        assert status == 200
        time.sleep(1 / 32)
    t1 = time.time()
    got = wait_for(
        lambda: (r := rows_between(pipeline, t0, t1, "vendor = 'simple_analytics'")) and len(r) >= 130 and r,
        60,
        "130 relayed hits",
    )
    assert not any(r["is_bot"] for r in got), [r["bot_reason"] for r in got if r["is_bot"]]
    assert {r["visitor_key"] for r in got} == {""} and {r["session_id"] for r in got} == {""}
    assert sum(r["is_unique"] for r in got) == 44 and {r["browser"] for r in got} == {"Chrome"}


def test_backend_events_from_http_libraries_count(pipeline: RunningPipeline) -> None:
    """Supalytics events sent as its docs show (curl) or from any backend library are people's."""
    t0 = time.time()
    auth = {"Authorization": f"Bearer {fakes.SUPALYTICS_KEY}", "Content-Type": "application/json"}
    for ua in LIBRARIES:
        headers = {**auth, "User-Agent": ua} if ua else auth
        body = orjson.dumps({"name": "cron_done", "metadata": {"job": ua or "none"}})
        assert send(pipeline, "POST", "/v1/events", headers, body)[0] == 200
    got = wait_for(
        lambda: (
            (r := rows_between(pipeline, t0, time.time(), "event_name = 'cron_done'")) and len(r) >= 6 and r
        ),
        60,
        "six backend events",
    )
    assert [r["is_bot"] for r in got] == [False] * 6 and {r["visitor_key"] for r in got} == {""}


def test_hitkeep_standalone_sessions_and_a_backfill_of_last_month(pipeline: RunningPipeline) -> None:
    auth = {"Authorization": f"Bearer {fakes.HITKEEP_TOKEN}", "Content-Type": "application/json"}
    month_ago = (datetime.now(UTC) - timedelta(days=30)).replace(hour=10, minute=0, second=0, microsecond=0)

    def hit(offset_min: int, path: str, ip: str, session: str | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "url": f"https://example.com{path}",
            "timestamp": (month_ago + timedelta(minutes=offset_min)).isoformat().replace("+00:00", "Z"),
            "visitor_ip": ip,
            "user_agent": CHROME,
        }
        return {**doc, "session_id": session} if session else doc

    session = str(uuid.uuid4())
    replay = [
        hit(0, "/hk-a", "198.51.100.20", session),
        hit(5, "/hk-b", "198.51.100.20", session),
        hit(125, "/hk-c", "198.51.100.20", session),  # two hours later: a second session
        hit(0, "/hk-1", "198.51.100.21", None),
        hit(1, "/hk-2", "198.51.100.21", None),
        hit(2, "/hk-3", "198.51.100.21", None),
    ]
    t0 = time.time()
    for doc in replay:
        assert send(pipeline, "POST", "/api/ingest/server/pageview", auth, orjson.dumps(doc))[0] == 202
    got = wait_for(
        lambda: (r := rows_between(pipeline, t0, time.time(), "vendor = 'hitkeep'")) and len(r) >= 6 and r,
        60,
        "the replayed pageviews",
    )
    by_path = {r["page_path"]: r for r in got}
    a, b, c = (by_path[p] for p in ("/hk-a", "/hk-b", "/hk-c"))
    assert not any(r["is_late"] for r in got)
    assert a["session_id"] == b["session_id"] != c["session_id"]
    assert a["is_new_session"] and c["is_new_session"]
    assert (a["is_unique"], b["is_unique"], c["is_unique"]) == (True, False, False)
    alone = [by_path[p] for p in ("/hk-1", "/hk-2", "/hk-3")]
    assert len({r["session_id"] for r in alone}) == 3 and all(r["is_new_session"] for r in alone)
    assert [r["is_unique"] for r in alone] == [True, False, False]  # one visitor, by IP and UA
    assert len({r["visitor_key"] for r in alone}) == 1 and alone[0]["visitor_key"]


def test_nothing_listens_beyond_loopback(pipeline: RunningPipeline) -> None:
    """Every port of ingest, the processor worker (faust web: Swetrix verdicts, /live/) and the
    sink (metrics, ClickHouse HTTP interface) is bound to loopback by default."""
    for name, service in pipeline.services.items():
        assert service.proc is not None
        bound = listening_addresses(service.proc.pid)
        assert bound, f"{name} listens nowhere?"
        assert {addr for addr, _ in bound} <= LOOPBACK, (name, bound)
