from __future__ import annotations

from ingest.clientip import client_ip, parse_networks, valid_ip
from ingest.http_types import Request


def _req(peer: str, xff: str | None = None) -> Request:
    headers = {"x-forwarded-for": xff} if xff else {}
    return Request("POST", "/", headers, b"", peer)


def test_peer_is_used_without_trusted_proxies() -> None:
    assert client_ip(_req("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    trusted = parse_networks(["10.0.0.0/8"])
    assert client_ip(_req("10.1.2.3", "198.51.100.1, 10.0.0.5"), trusted) == "198.51.100.1"
    assert client_ip(_req("203.0.113.9", "198.51.100.1"), trusted) == "203.0.113.9"


def test_garbage_forwarded_for_falls_back_to_peer() -> None:
    trusted = parse_networks(["10.0.0.0/8"])
    assert client_ip(_req("10.1.2.3", "not-an-ip"), trusted) == "10.1.2.3"


def test_valid_ip() -> None:
    assert valid_ip(" 2001:DB8::1 ") == "2001:db8::1"
    assert valid_ip("example") is None
    assert valid_ip(None) is None
