"""The RSGI adapter with a stand-in for granian's scope and protocol objects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ingest.app import IngestApp
from ingest.server.rsgi_granian import IngestRSGI, _peer
from ingest.settings import IngestSettings
from tests.unit.ingest.fakes import FakePublisher, FakeSessions, make_services


@dataclass
class Scope:
    method: str
    path: str
    headers: dict[str, str]
    client: str = "198.51.100.7:50000"
    query_string: str = ""
    proto: str = "http"


@dataclass
class Proto:
    chunks: list[bytes]
    reads: int = 0
    answer: tuple[int, list[tuple[str, str]], bytes] | None = None
    log: list[str] = field(default_factory=list)

    async def __call__(self) -> bytes:
        self.reads += 1
        return b"".join(self.chunks)

    def __aiter__(self) -> Any:
        async def gen() -> Any:
            for c in self.chunks:
                self.reads += 1
                yield c

        return gen()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answer = (status, headers, body)

    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.answer = (status, headers, b"")


def _app(tmp: Path) -> tuple[IngestRSGI, FakePublisher]:
    pub = FakePublisher()
    return IngestRSGI(core=IngestApp(IngestSettings(), make_services(tmp, pub, FakeSessions()))), pub


def _serve(app: IngestRSGI, scope: Scope, proto: Proto) -> tuple[int, list[tuple[str, str]], bytes]:
    asyncio.run(app.__rsgi__(scope, proto))
    assert proto.answer is not None
    return proto.answer


def test_a_pageview_is_published_and_answered(tmp_path: Path) -> None:
    app, pub = _app(tmp_path)
    body = orjson.dumps({"type": "pageview", "siteId": "site_abc123"})
    status, _, out = _serve(
        app,
        Scope("POST", "/api/track", {"content-length": str(len(body)), "user-agent": "Mozilla/5.0"}),
        Proto([body]),
    )
    assert (status, out, len(pub.sent)) == (200, b'{"success":true}', 1)


def test_declared_oversize_is_refused_unread(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    proto = Proto([b"x"])
    status, _, _ = _serve(app, Scope("POST", "/log", {"content-length": "100001"}), proto)
    assert status == 413 and proto.reads == 0


def test_chunked_oversize_stops_reading(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    proto = Proto([b"x" * 40_000] * 10)
    status, _, _ = _serve(app, Scope("POST", "/log", {}), proto)
    assert status == 413 and proto.reads == 3


def test_hitkeep_without_token_is_401_before_the_body(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    proto = Proto([b"{}"])
    status, _, out = _serve(app, Scope("POST", "/api/ingest/server/pageview", {"content-length": "2"}), proto)
    assert status == 401 and proto.reads == 0 and b"message" in out


def test_empty_answers_use_response_empty(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    status, headers, out = _serve(
        app, Scope("OPTIONS", "/api/track", {"origin": "https://example.com"}), Proto([])
    )
    assert (status, out) == (204, b"") and ("access-control-allow-origin", "https://example.com") in headers


def test_peer_parsing() -> None:
    assert _peer("198.51.100.7:5000") == "198.51.100.7"
    assert _peer("[2001:db8::1]:5000") == "2001:db8::1"
    assert _peer("") is None
