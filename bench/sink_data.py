"""Realistic enriched events for the sink's tests, doc examples and benchmark.

Deterministic for a seed: a few sites, visitors with sessions of several pageviews, referrers,
UTM campaigns, countries, devices, custom events with properties, some bots, some anonymous
pageviews (no visitor, no session) and some vendor-filtered hits. Times are spread over the `days`
before `end`. Every event with a session carries the session as of that event (contract v2), as
the processors emit it: the first event's attribution, pageviews so far, entry and exit page.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.events import EnrichedEvent, EventType, PerfMetrics, SessionSnapshot, Vendor

PAGES = ["/", "/pricing", "/docs", "/blog/launch", "/signup", "/about", "/docs/install"]
REFERRERS = [("", "direct"), ("www.google.com", "organic_search"), ("news.ycombinator.com", "referral"),
             ("t.co", "social"), ("duckduckgo.com", "organic_search")]  # fmt: skip
CAMPAIGNS = [("", "", ""), ("newsletter", "email", "spring_sale"), ("twitter", "social", "launch")]
GEO = [("DE", "Berlin"), ("US", "New York"), ("FR", "Paris"), ("GB", "London"), ("NL", "Amsterdam")]
DEVICES = [("desktop", "Chrome", "Windows"), ("mobile", "Safari", "iOS"), ("desktop", "Firefox", "Linux"),
           ("mobile", "Chrome Mobile", "Android"), ("tablet", "Safari", "iPadOS")]  # fmt: skip
SITES = ["example", "shop"]


def _uuid7(rng: random.Random, when: datetime) -> str:
    ms = int(when.timestamp() * 1000)
    rand = rng.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def _perf(rng: random.Random) -> PerfMetrics | None:
    if rng.random() < 0.7:
        return None
    ms = {k: round(rng.uniform(1, 400), 1) for k in PerfMetrics.model_fields}
    return PerfMetrics(**ms)


def _session(rng: random.Random, site: str, start: datetime, end: datetime) -> Iterator[EnrichedEvent]:
    visitor = f"v{rng.getrandbits(48):012x}"
    session = f"s{rng.getrandbits(48):012x}"
    ref_host, channel = rng.choice(REFERRERS)
    src, medium, campaign = rng.choice(CAMPAIGNS)
    country, city = rng.choice(GEO)
    device, browser, os_name = rng.choice(DEVICES)
    bot = rng.random() < 0.05
    attribution: dict[str, Any] = dict(
        referrer_host=ref_host or None, channel=channel, utm_source=src or None, utm_medium=medium or None,
        utm_campaign=campaign or None, country=country, city=city, device_type=device, browser=browser,
        os=os_name,
    )  # fmt: skip
    t, seq, pageviews, entry, exit_page = start, 0, 0, "", ""
    for n in range(rng.choice([1, 1, 2, 3, 4, 6])):
        if t > end:
            return
        page = rng.choice(PAGES)
        seq, pageviews = seq + 1, pageviews + 1
        entry, exit_page = entry or page, page
        common: dict[str, Any] = dict(
            vendor=Vendor.SWETRIX,
            site_id=site,
            event_time=t,
            received_at=t + timedelta(milliseconds=40),
            hostname=f"{site}.com",
            page_path=page,
            referrer=f"https://{ref_host}/" if ref_host else None,
            language="en-US",
            screen_width=1920,
            screen_height=1080,
            visitor_key=visitor,
            session_id=session,
            is_bot=bot,
            bot_reason="crawler" if bot else None,
            **attribution,
        )
        snap = dict(started=start, last_seen=t, entry_page=entry, exit_page=exit_page, **attribution)
        yield EnrichedEvent(
            event_id=_uuid7(rng, t), event_type=EventType.PAGEVIEW, perf=_perf(rng), is_new_session=n == 0,
            session_seq=seq, is_unique=n == 0, session=SessionSnapshot(pageviews=pageviews, **snap), **common,
        )  # fmt: skip
        if rng.random() < 0.25:
            props = {"plan": rng.choice(["free", "pro"]), "button": rng.choice(["hero", "footer"])}
            t += timedelta(seconds=rng.randint(1, 20))
            seq += 1
            snap["last_seen"] = t
            yield EnrichedEvent(
                event_id=_uuid7(rng, t), event_type=EventType.CUSTOM,
                event_name=rng.choice(["signup", "download"]), properties=props, session_seq=seq,
                session=SessionSnapshot(pageviews=pageviews, **snap),
                **{**common, "event_time": t, "received_at": t + timedelta(milliseconds=40)},
            )  # fmt: skip
        t += timedelta(seconds=rng.randint(5, 300))


def _anonymous(rng: random.Random, site: str, when: datetime) -> EnrichedEvent:
    """A pageview a backend relayed without the visitor's IP: no visitor, no session."""
    unique = rng.random() < 0.4
    return EnrichedEvent(
        event_id=_uuid7(rng, when), vendor=Vendor.SIMPLE_ANALYTICS, site_id=site,
        event_type=EventType.PAGEVIEW, event_time=when, received_at=when + timedelta(milliseconds=40),
        hostname=f"{site}.com", page_path=rng.choice(PAGES), visitor_key="", client_unique=unique,
        is_unique=unique,
    )  # fmt: skip


def events(n: int, seed: int = 1, end: datetime | None = None, days: int = 3) -> list[EnrichedEvent]:
    """At least `n` events (whole sessions), ending before `end` (default: now)."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC)
    out: list[EnrichedEvent] = list(_session(rng, SITES[0], end - timedelta(seconds=90), end))  # live now
    while len(out) < n:
        start = end - timedelta(seconds=rng.randint(60, days * 86400))
        site = rng.choice(SITES)
        if rng.random() < 0.03:
            out.append(_filtered(rng, site, start))
            continue
        if rng.random() < 0.04:
            out.append(_anonymous(rng, site, start))
            continue
        out.extend(_session(rng, site, start, end))
    return out[:n]


def _filtered(rng: random.Random, site: str, when: datetime) -> EnrichedEvent:
    return EnrichedEvent(
        event_id=_uuid7(rng, when),
        vendor=Vendor.ZERO_TRUST,
        site_id=site,
        event_type=EventType.PAGEVIEW,
        event_time=when,
        received_at=when,
        page_path="/",
        visitor_key="filtered",
        is_bot=True,
        bot_reason="crawler",
        filtered_reason="bot",
    )


def encoded(evs: list[EnrichedEvent]) -> list[bytes]:
    return [e.model_dump_json(exclude_none=True).encode() for e in evs]
