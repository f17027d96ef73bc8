"""Which IP is the visitor's: a vendor header when the vendor defines one, else the socket peer,
or `X-Forwarded-For` only when the peer is a configured trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from ingest.http_types import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in specs)


@lru_cache(maxsize=65_536)
def valid_ip(value: str | None) -> str | None:
    """The address in canonical form, or None when it is not an IP address (cached: the peers
    and forwarded addresses of real traffic repeat)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(req: Request, trusted: tuple[IPNetwork, ...]) -> str | None:
    peer = valid_ip(req.peer_ip)
    if peer is None or not trusted:
        return peer
    addr = ipaddress.ip_address(peer)
    if not any(addr in net for net in trusted):
        return peer
    forwarded = req.header("x-forwarded-for")
    if not forwarded:
        return peer
    # Walk right to left, skipping our own proxies; the first untrusted hop is the client.
    for hop in reversed([h.strip() for h in forwarded.split(",")]):
        ip = valid_ip(hop)
        if ip is None:
            return peer
        if not any(ipaddress.ip_address(ip) in net for net in trusted):
            return ip
    return peer
