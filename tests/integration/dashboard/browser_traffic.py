"""Known traffic for the dashboard's browser tests, sent through ingest's vendor routes.

Several vendors, sites and days: HitKeep server-side pageviews (the one vendor whose calls carry
their own time, so they can fill past days) from visitors in two countries on three kinds of
device, with search, social, campaign and direct arrivals, multi-page sessions and bounces; a
crawler (flagged, kept, never counted); Supalytics custom events with properties; Simple Analytics
anonymous pageviews; a Zero Trust Analytics crawler (dropped as ZTA promises: a filtered hit); and
a second site. What the dashboard must show is then asked of `events` in SQL by the tests, so
nothing here states an expected number.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.integration.pipeline import RunningPipeline
from tests.unit.ingest import fakes

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass(frozen=True)
class Visit:
    """One session of one visitor: its day (0 = today), pages, and how it arrived."""

    days_ago: int
    ip: str
    ua: str
    language: str
    pages: tuple[str, ...]
    referrer: str | None = None
    query: str = ""
    host: str = "example.com"


VISITS = (
    Visit(40, "203.0.113.50", FIREFOX_LINUX, "nl-NL", ("/old", "/pricing")),
    Visit(10, "203.0.113.30", FIREFOX_LINUX, "nl-NL", ("/", "/docs"), "https://duckduckgo.com/"),
    Visit(3, "203.0.113.10", CHROME_WINDOWS, "en-US", ("/blog/a",)),
    Visit(1, "192.0.2.20", SAFARI_IPHONE, "de-DE", ("/", "/pricing")),
    Visit(1, "203.0.113.30", FIREFOX_LINUX, "nl-NL", ("/pricing",), "https://www.google.com/"),
    Visit(
        0, "203.0.113.10", CHROME_WINDOWS, "en-US", ("/", "/pricing", "/signup"), "https://www.google.com/"
    ),
    Visit(0, "192.0.2.20", SAFARI_IPHONE, "de-DE", ("/blog/a",), "https://t.co/xyz"),
    Visit(
        0,
        "192.0.2.40",
        CHROME_ANDROID,
        "de-DE",
        ("/",),
        None,
        "?utm_source=news&utm_medium=email&utm_campaign=winter",
    ),
    Visit(0, "192.0.2.41", CHROME_WINDOWS, "de-DE", ("/", "/docs", "/docs/api", "/pricing")),
    Visit(0, "203.0.113.99", GOOGLEBOT, "en", ("/", "/pricing")),
    Visit(0, "192.0.2.77", CHROME_WINDOWS, "fr-FR", ("/",), host="other.org"),
    Visit(2, "192.0.2.77", CHROME_WINDOWS, "fr-FR", ("/", "/about"), host="other.org"),
)


def geo_database(path: Path) -> Path:
    """203.0.113.0/24 in Amsterdam, 192.0.2.0/24 in Berlin: two countries, regions and cities."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoIP2-City")
    for net, country, region, city in (
        ("203.0.113.0/24", "NL", "NH", "Amsterdam"),
        ("192.0.2.0/24", "DE", "BE", "Berlin"),
    ):
        w.insert_network(
            IPSet([net]),
            {"country": {"iso_code": country}, "subdivisions": [{"iso_code": region}],
             "city": {"names": {"en": city}}},
        )  # fmt: skip
    w.to_db_file(str(path))
    return path


def _start(now: datetime, visit: Visit) -> datetime:
    if visit.days_ago == 0:  # today: within the last hour, and never in the future
        return now - timedelta(minutes=50)
    day = (now - timedelta(days=visit.days_ago)).replace(hour=10, minute=0, second=0, microsecond=0)
    return day


def _hitkeep(p: RunningPipeline, visit: Visit, now: datetime) -> int:
    token = fakes.HITKEEP_TOKEN if visit.host == "example.com" else fakes.OTHER_SITE_TOKEN
    session = str(uuid.uuid4())
    sent = 0
    for i, page in enumerate(visit.pages):
        doc = {
            "url": f"https://{visit.host}{page}{visit.query if i == 0 else ''}",
            "timestamp": (_start(now, visit) + timedelta(minutes=2 * i)).isoformat().replace("+00:00", "Z"),
            "visitor_ip": visit.ip,
            "user_agent": visit.ua,
            "language": visit.language,
            "session_id": session,
        }
        if i == 0 and visit.referrer:
            doc["referrer"] = visit.referrer
        status, body = p.post("/api/ingest/server/pageview", doc, {"Authorization": f"Bearer {token}"})
        assert status == 202, (status, body)
        sent += 1
    return sent


def send_all(p: RunningPipeline, now: datetime | None = None) -> int:
    """Send everything, oldest first (sessions are built in time order); returns events stored."""
    now = now or datetime.now(UTC)
    stored = 0
    for visit in sorted(VISITS, key=lambda v: -v.days_ago):
        stored += _hitkeep(p, visit, now)
    sly = {"Authorization": f"Bearer {fakes.SUPALYTICS_KEY}"}
    for plan, visitor in (("pro", "u-1"), ("pro", "u-2"), ("free", "u-3")):
        doc = {"name": "signup", "visitor_id": visitor, "metadata": {"plan": plan}}
        assert p.post("/v1/events", doc, sly)[0] == 200
        stored += 1
    doc = {"name": "download", "visitor_id": "u-1", "metadata": {"file": "guide.pdf"}}
    assert p.post("/v1/events", doc, sly)[0] == 200
    stored += 1
    for unique in (True, False):
        doc = {"url": "https://example.com/landing", "ua": SAFARI_IPHONE, "unique": unique,
               "timezone": "Europe/Berlin"}  # fmt: skip
        assert p.post("/post", doc, {"User-Agent": "node"})[0] == 200
        stored += 1
    zta = {"siteId": "site_abc123", "path": "/", "type": "pageview"}
    assert p.post("/api/track", zta, {"User-Agent": GOOGLEBOT})[0] < 300
    return stored
