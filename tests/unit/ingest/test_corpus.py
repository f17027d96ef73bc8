"""Every corpus request through `Router.dispatch` with a fake publisher: status, body, what was published."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ingest.app import build_router
from ingest.http_types import Request, Response
from tests.unit.ingest.corpus_loader import VENDORS, Case, check_answer, load
from tests.unit.ingest.fakes import FakePublisher, FakeSessions, make_services

CASES = load()


def run_case(case: Case, tmp: Path) -> tuple[Response, FakePublisher, FakeSessions]:
    publisher, sessions = FakePublisher(), FakeSessions()
    svc = make_services(tmp, publisher, sessions)
    req = Request(
        case.method, case.path, {k.lower(): v for k, v in case.headers.items()}, case.body, "198.51.100.7"
    )
    resp = asyncio.run(build_router().dispatch(req, svc))
    return resp, publisher, sessions


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, tmp_path: Path) -> None:
    resp, publisher, sessions = run_case(case, tmp_path)
    spec = case.spec
    check_answer(case, resp.status, dict(resp.headers), resp.body)
    events = publisher.events
    for (_key, value), event in zip(publisher.sent, events, strict=True):
        # What is published is exactly what a validated CanonicalEvent serialises to.
        assert event.model_dump_json().encode() == value
    assert sum(e.filtered_reason is None for e in events) == spec.get("stored", 0)
    assert sum(e.filtered_reason is not None for e in events) == spec.get("filtered", 0)
    if "touches" in spec:
        assert len(sessions.touches) == spec["touches"]
    stored = [e for e in events if e.filtered_reason is None]
    if "published" in spec:
        for want, event in zip(spec["published"], stored, strict=True):
            got = event.model_dump(mode="json")
            assert {k: got.get(k) for k in want} == want
    if "published_ip" in spec:
        assert all((e.ip_encrypted is not None) == spec["published_ip"] for e in stored)


def test_every_vendor_has_doc_examples() -> None:
    for vendor in VENDORS:
        assert any(c.vendor == vendor and c.spec["source"] == "doc" for c in CASES), vendor


def test_every_error_answer_is_a_4xx() -> None:
    assert all(400 <= c.spec["status"] < 500 or c.spec["status"] in (200, 201, 202, 204) for c in CASES)
