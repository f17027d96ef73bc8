# ruff: noqa: E501  (real-world user agent templates are long)
"""Synthetic raw traffic for the processor benchmark and integration tests.

Realistic enough to exercise every rule: thousands of distinct user agents built from real-world
templates (desktop, mobile, tablet browsers and well-known crawlers), many visitors with
multi-event sessions (pageviews, custom events, heartbeats), referrers and UTM links, locales
and time zones. Deterministic for a given seed, so two runs publish the same events.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from confluent_kafka import Producer

from common.crypto import IpCipher, RoutingHasher
from schemas.events import CanonicalEvent, EventType, Vendor

_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.{b}.{p} Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{m}.{n} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS {m}_{n} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{m}.{n} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS {m}_{n} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{m}.{n} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android {a}; SM-S9{p}B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.{b}.{p} Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android {a}; SM-X{p}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.{b}.{p} Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.{b}.{p} Safari/537.36 Edg/{v}.0.{b}.{p}",
]
_BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/{v}.0.0.0 Safari/537.36",
    "python-requests/2.{n}.0",
    "curl/8.{n}.0",
]
_REFERRERS = [
    None,
    None,
    "https://www.google.com/",
    "https://t.co/abc",
    "https://news.ycombinator.com/item?id=1",
    "https://blog.example.org/post?id=7&token=secret",
    "https://duckduckgo.com/",
]
_LOCALES = ["en-US", "en-gb", "de-DE", "fr", "es_ES", "pt-BR", "ja", "junk!!", None]
_ZONES = ["Europe/Berlin", "America/New_York", "Asia/Calcutta", "Asia/Tokyo", "UTC", None]


def user_agents(n: int, seed: int = 7, bot_share: float = 0.05) -> list[str]:
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        tpl = rng.choice(_BOTS) if rng.random() < bot_share else rng.choice(_BROWSERS)
        out.add(
            tpl.format(
                v=rng.randint(90, 131),
                b=rng.randint(1000, 6999),
                p=rng.randint(10, 250),
                m=rng.randint(13, 18),
                n=rng.randint(0, 7),
                a=rng.randint(9, 15),
            )
        )
    return sorted(out)


@dataclass(frozen=True)
class Hit:
    key: bytes
    value: bytes


def visits(
    visitors: int,
    events_per_visitor: int,
    secret: bytes,
    *,
    start: datetime | None = None,
    n_user_agents: int = 3000,
    seed: int = 7,
    sites: tuple[str, ...] = ("example", "shop"),
    bot_share: float = 0.05,
) -> Iterator[Hit]:
    """Each visitor: a session of pageviews/custom/heartbeats a few seconds to minutes apart;
    every fourth visitor comes back after an hour (a second session)."""
    rng = random.Random(seed)
    uas = user_agents(n_user_agents, seed, bot_share)
    cipher, routing = IpCipher.from_secret(secret), RoutingHasher.from_secret(secret)
    t0 = start or datetime.now(UTC) - timedelta(minutes=30)
    for v in range(visitors):
        ua, site = uas[(v * 7919) % len(uas)], sites[v % len(sites)]
        ip = f"10.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"
        key = f"{site}|{routing(ip, ua)}".encode()
        t = t0 + timedelta(seconds=rng.randint(0, 600))
        for i in range(events_per_visitor):
            if i and v % 4 == 0 and i == events_per_visitor // 2:
                t += timedelta(hours=1)
            kind = (
                EventType.PAGEVIEW
                if i == 0
                else rng.choice(
                    [EventType.PAGEVIEW, EventType.PAGEVIEW, EventType.CUSTOM, EventType.HEARTBEAT]
                )
            )
            yield Hit(key, _event(site, kind, t, ua, cipher.encrypt(ip), rng).model_dump_json().encode())
            t += timedelta(seconds=rng.randint(2, 240))


def _event(
    site: str, kind: EventType, t: datetime, ua: str, ip_enc: str, rng: random.Random
) -> CanonicalEvent:
    path = rng.choice(["/", "/pricing", "/docs/start", "/blog/post-1", "/about"])
    utm = "?utm_source=newsletter&utm_medium=email&session=abc" if rng.random() < 0.1 else "?q=1"
    return CanonicalEvent(
        event_id=str(uuid.UUID(int=rng.getrandbits(128))),
        vendor=Vendor.SWETRIX,
        site_id=site,
        event_type=kind,
        event_name="signup" if kind == EventType.CUSTOM else None,
        event_time=t,
        received_at=t,
        page_url=f"https://{site}.com{path}{utm}",
        page_path=path,
        hostname=f"{site}.com",
        referrer=rng.choice(_REFERRERS),
        locale=rng.choice(_LOCALES),
        timezone=rng.choice(_ZONES),
        user_agent=ua,
        ip_encrypted=ip_enc,
    )


def producer(bootstrap: str) -> Producer:
    """Keys land on the partitions ingest would choose (murmur2, like faust/aiokafka)."""
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "partitioner": "murmur2_random",
            "linger.ms": 20,
            "compression.type": "lz4",
            "acks": "all",
        }
    )


def publish(bootstrap: str, topic: str, hits: Iterator[Hit]) -> int:
    p, n = producer(bootstrap), 0
    for hit in hits:
        while True:
            try:
                p.produce(topic, key=hit.key, value=hit.value)
                break
            except BufferError:
                p.poll(0.1)
        n += 1
        if n % 10_000 == 0:
            p.poll(0)
    p.flush(60)
    return n
