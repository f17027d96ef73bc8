"""Conformance of `ingest.httpserver` with real sockets on 127.0.0.1 (framing, keep-alive, limits).

Normal traffic goes through httpx; pipelining, slow and malformed clients are raw socket writes.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.unit.ingest.server_harness import closed_by_peer, make_core, read_response, running

ZTA = orjson.dumps({"type": "pageview", "siteId": "site_abc123"})
UA = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"


def _post(path: str, body: bytes, extra: str = "", version: str = "1.1") -> bytes:
    head = f"POST {path} HTTP/{version}\r\nHost: t\r\nUser-Agent: {UA}\r\nContent-Length: {len(body)}\r\n"
    return (head + extra + "\r\n").encode() + body


def test_keep_alive_serves_many_requests_on_one_connection(tmp_path: Path) -> None:
    core, pub = make_core(tmp_path)
    with running(core) as srv, httpx.Client(base_url=f"http://127.0.0.1:{srv.port}") as client:
        answers = [client.post("/api/track", content=ZTA, headers={"user-agent": UA}) for _ in range(5)]
        assert [(r.status_code, r.json()) for r in answers] == [(200, {"success": True})] * 5
        assert answers[-1].headers["connection"] == "keep-alive"
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/nowhere").status_code == 404
    assert len(pub.sent) == 5


def test_connection_close_is_honoured(tmp_path: Path) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(_post("/api/track", ZTA, "Connection: close\r\n"))
        status, headers, _ = read_response(s, bytearray())
        assert (status, headers["connection"]) == (200, "close")
        assert closed_by_peer(s)


def test_http10_closes_unless_keep_alive_is_asked(tmp_path: Path) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv:
        with srv.connect() as s:
            s.sendall(_post("/api/track", ZTA, version="1.0"))
            assert read_response(s, bytearray())[0] == 200
            assert closed_by_peer(s)
        with srv.connect() as s:
            buf = bytearray()
            for _ in range(2):
                s.sendall(_post("/api/track", ZTA, "Connection: keep-alive\r\n", version="1.0"))
                status, headers, _ = read_response(s, buf)
                assert (status, headers["connection"]) == (200, "keep-alive")


def test_pipelined_requests_are_answered_in_order(tmp_path: Path) -> None:
    core, pub = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(
            _post("/api/track", ZTA)
            + b"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"
            + b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
            + _post("/api/track", b"{}")
            + _post("/api/track", ZTA)
        )
        buf = bytearray()
        statuses = [read_response(s, buf)[0] for _ in range(5)]
    assert statuses == [200, 404, 200, 400, 200]
    assert len(pub.sent) == 2


def test_chunked_body_is_read(tmp_path: Path) -> None:
    core, pub = make_core(tmp_path)
    half = len(ZTA) // 2
    chunks = f"{half:x}\r\n".encode() + ZTA[:half] + f"\r\n{len(ZTA) - half:x}\r\n".encode()
    chunks += ZTA[half:] + b"\r\n0\r\n\r\n"
    with running(core) as srv, srv.connect() as s:
        head = f"POST /api/track HTTP/1.1\r\nHost: t\r\nUser-Agent: {UA}\r\nTransfer-Encoding: chunked\r\n"
        s.sendall(head.encode() + b"\r\n" + chunks)
        assert read_response(s, bytearray())[0] == 200
    assert len(pub.sent) == 1


def test_chunked_body_over_the_cap_is_refused_while_reading(tmp_path: Path) -> None:
    core, pub = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(b"POST /api/track HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(3):  # 3 × 30 KB > 64 KiB; the rest of the body is never sent
            s.sendall(b"7530\r\n" + b" " * 30_000 + b"\r\n")
        status, headers, body = read_response(s, bytearray())
        assert (status, headers["connection"]) == (413, "close") and b"limit" in body
        assert closed_by_peer(s)
    assert pub.sent == []


def test_declared_oversize_is_refused_before_the_body(tmp_path: Path) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(b"POST /api/track HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n{")
        status, headers, _ = read_response(s, bytearray())
        assert (status, headers["connection"]) == (413, "close")


def test_hitkeep_without_token_is_answered_before_its_body(tmp_path: Path) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(b"POST /api/ingest/server/pageview HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\n")
        status, _, body = read_response(s, bytearray())
        assert status == 401 and b"message" in body


def test_expect_100_continue(tmp_path: Path) -> None:
    core, pub = make_core(tmp_path)
    with running(core) as srv:
        with srv.connect() as s:
            s.sendall(
                _post("/api/track", b"", "Expect: 100-continue\r\n").replace(
                    b"Length: 0", f"Length: {len(ZTA)}".encode()
                )
            )
            buf = bytearray()
            assert read_response(s, buf)[0] == 100
            s.sendall(ZTA)
            assert read_response(s, buf)[0] == 200
        with srv.connect() as s:  # over the cap: the final answer comes at once, no 100
            s.sendall(b"POST /api/track HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n")
            s.sendall(b"Content-Length: 999999\r\n\r\n")
            assert read_response(s, bytearray())[0] == 413
    assert len(pub.sent) == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT A REQUEST\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n",
        b"POST /api/track HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
)
def test_malformed_requests_get_400_and_close(tmp_path: Path, raw: bytes) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(raw)
        status, headers, _ = read_response(s, bytearray())
        assert (status, headers["connection"]) == (400, "close")
        assert closed_by_peer(s)


def test_oversized_head_gets_431(tmp_path: Path) -> None:
    core, _ = make_core(tmp_path)
    with running(core) as srv:
        for extra in ("X-Big: " + "a" * 20_000 + "\r\n", "".join(f"X-{i}: v\r\n" for i in range(150))):
            with srv.connect() as s:
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode())
                assert read_response(s, bytearray())[0] == 431
                assert closed_by_peer(s)


def test_idle_keep_alive_connections_are_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.httpserver.KEEPALIVE_S", 0.3)
    monkeypatch.setattr("ingest.httpserve.SWEEP_S", 0.1)
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(s, bytearray())[0] == 200
        assert closed_by_peer(s, timeout_s=10)


def test_slow_client_gets_408_and_is_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.httpserver.REQUEST_S", 0.5)
    monkeypatch.setattr("ingest.httpserve.SWEEP_S", 0.1)
    core, _ = make_core(tmp_path)
    with running(core) as srv, srv.connect() as s:
        s.sendall(b"POST /api/track HTTP/1.1\r\nHost: t\r\nX-Slow: ")  # and never finishes the head
        status, headers, _ = read_response(s, bytearray())
        assert (status, headers["connection"]) == (408, "close")
        assert closed_by_peer(s)


def test_a_client_that_does_not_read_pauses_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.httpserver import HttpProtocol

    paused: list[bool] = []
    original = HttpProtocol.pause_writing

    def pause(self: HttpProtocol) -> None:
        paused.append(True)
        original(self)

    monkeypatch.setattr(HttpProtocol, "pause_writing", pause)
    core, _ = make_core(tmp_path)
    n = 400
    with running(core) as srv, srv.connect() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        # The answers are MBs in total; the client writes everything before it reads anything.
        sender = threading.Thread(
            target=s.sendall, args=(b"GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n" * n,)
        )
        sender.start()
        time.sleep(1.0)
        buf = bytearray()
        statuses = [read_response(s, buf)[0] for _ in range(n)]
        sender.join(10)
    assert paused and statuses == [200] * n


def test_graceful_stop_answers_in_flight_requests_then_refuses_new_ones(tmp_path: Path) -> None:
    from tests.unit.ingest.server_harness import SlowCore

    core, pub = make_core(tmp_path)
    slow = SlowCore(core, delay_s=0.5)
    with running(slow) as srv, srv.connect() as busy, srv.connect() as idle:
        busy.sendall(_post("/api/track", ZTA))
        time.sleep(0.2)  # being handled (waiting for "Kafka")
        srv.stop()
        status, headers, _ = read_response(busy, bytearray())
        assert (status, headers["connection"]) == (200, "close")
        assert closed_by_peer(idle)
        assert srv.finished.wait(10)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    assert len(pub.sent) == 1
