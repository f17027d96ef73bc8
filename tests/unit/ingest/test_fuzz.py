"""Property tests: whatever arrives — body, headers, method, path — the answer is a 2xx or 4xx,
never a 5xx and never an exception (the router logs unexpected exceptions: none may appear)."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.app import build_router
from ingest.http_types import Request
from tests.unit.ingest.corpus_loader import load
from tests.unit.ingest.fakes import HITKEEP_TOKEN, SUPALYTICS_KEY, FakePublisher, FakeSessions, make_services

ROUTER = build_router()
PATHS = [*sorted({r.path for r in ROUTER.routes}), "/", "/log/", "/v1/events/x", "/%00"]
METHODS = ["POST", "GET", "OPTIONS", "PUT", "DELETE", "HEAD", "PATCH", "BREW"]
_TMP = Path(tempfile.mkdtemp(prefix="ingest-fuzz-"))
SVC = make_services(_TMP, FakePublisher(), FakeSessions())

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=5),
    max_leaves=12,
)
FIELDS = [
    "pid",
    "ev",
    "unique",
    "perf",
    "url",
    "ua",
    "width",
    "type",
    "siteId",
    "utm",
    "value",
    "name",
    "metadata",
    "visitor_id",
    "timestamp",
    "visitor_ip",
    "user_agent",
    "session_id",
    "dnt",
    "pg",
]
plausible = st.fixed_dictionaries(
    {},
    optional={
        **{f: json_values for f in FIELDS},
        "pid": st.sampled_from(["YOUR_PROJECT_ID", "DISABLED_PID", "", "x"]) | json_values,
        "siteId": st.sampled_from(["site_abc123", "site_off"]) | json_values,
        "url": st.sampled_from(["https://example.com/", "http://[::1", "https://example.com:99999/", "x:"])
        | json_values,
        "type": st.sampled_from(["pageview", "event", "heartbeat"]) | json_values,
    },
)


def _dumps(v: Any) -> bytes:
    return json.dumps(v).encode()  # stdlib: big integers too


bodies = st.one_of(st.binary(max_size=300), plausible.map(_dumps), json_values.map(_dumps))
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=80)
headers = st.fixed_dictionaries(
    {},
    optional={
        "user-agent": header_values,
        "origin": header_values | st.just("https://example.com"),
        "authorization": header_values
        | st.sampled_from([f"Bearer {SUPALYTICS_KEY}", f"Bearer {HITKEEP_TOKEN}"]),
        "x-api-key": header_values,
        "x-client-ip-address": header_values,
        "x-forwarded-for": header_values,
    },
)


def _dispatch(method: str, path: str, hdrs: dict[str, str], body: bytes) -> int:
    resp = asyncio.run(ROUTER.dispatch(Request(method, path, hdrs, body, "198.51.100.7"), SVC))
    return resp.status


@pytest.fixture(autouse=True)
def _no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Any:
    with caplog.at_level(logging.ERROR, logger="hitstream.ingest"):
        yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an unexpected exception was logged"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(METHODS),
    path=st.sampled_from(PATHS) | st.text(max_size=30),
    hdrs=headers,
    body=bodies,
)
def test_any_request_gets_a_2xx_or_4xx(method: str, path: str, hdrs: dict[str, str], body: bytes) -> None:
    assert 200 <= _dispatch(method, path, hdrs, body) < 500


CORPUS = load()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(CORPUS), cut=st.integers(min_value=0, max_value=400), junk=st.binary(max_size=8))
def test_mangled_corpus_bodies_never_fail(case: Any, cut: int, junk: bytes) -> None:
    body = case.body[:cut] + junk
    assert (
        200 <= _dispatch(case.method, case.path, {k.lower(): v for k, v in case.headers.items()}, body) < 500
    )
