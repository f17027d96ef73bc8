"""Requests at the edges of what each vendor route accepts: every string field at its longest,
every number at its largest, every time at the edge of the window (`schemas.limits`).

Each must be answered 2xx by ingest and then stored in `events` (tests/unit/test_limits.py checks
the answers, tests/integration/sink/test_contract.py the storing). Sites, ids and tokens are the
unit-test sites file's (tests/unit/ingest/fakes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from schemas.limits import (
    ENGAGEMENT_SECONDS_MAX,
    EVENT_TIME_MAX_AHEAD,
    EVENT_TIME_MIN,
    PERF_MS_MAX,
    PIXELS_MAX,
)
from tests.unit.ingest.fakes import HITKEEP_TOKEN, SUPALYTICS_KEY

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0"
BIG = 1.7976931348623157e308  # the largest finite JSON number


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    events: int = 1  # events the request stores

    def encoded(self) -> bytes:
        return orjson.dumps(self.body)


def _url(length: int, host: str = "example.com") -> str:
    head = f"https://{host}/"
    return head + "p" * (length - len(head))


def _rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hitkeep(timestamp: str, **fields: Any) -> Case:
    body = {"url": "https://example.com/", "timestamp": timestamp, "visitor_ip": "192.0.2.1",
            "user_agent": FIREFOX, **fields}  # fmt: skip
    return Case(f"hitkeep {timestamp}", "/api/ingest/server/pageview", body,
                {"authorization": f"Bearer {HITKEEP_TOKEN}"})  # fmt: skip


def hitkeep_inside(now: datetime) -> list[Case]:
    """The earliest time stored, a time just short of a day ahead, every field at its largest."""
    sizes = {k: PIXELS_MAX for k in ("screen_width", "screen_height", "viewport_width", "viewport_height")}
    return [
        hitkeep(
            _rfc3339(EVENT_TIME_MIN),
            url=_url(4096),
            user_agent="M" * 1024,
            language="l" * 64,
            referrer=_url(4096, "ref.example"),
            **sizes,
        ),
        hitkeep(_rfc3339(now + EVENT_TIME_MAX_AHEAD - timedelta(minutes=1))),
        hitkeep("2000-01-01T01:00:00+01:00"),  # the floor, written with an offset
    ]


def hitkeep_outside(now: datetime) -> list[tuple[str, str]]:
    """(timestamp, what the 400 says) just outside the window or the format HitKeep parses."""
    return [
        ("1970-01-01T00:00:00Z", "before 2000-01-01T00:00:00Z"),
        ("1999-12-31T23:59:59.999Z", "before 2000-01-01T00:00:00Z"),
        ("2000-01-01T00:59:59+01:00", "before 2000-01-01T00:00:00Z"),
        (_rfc3339(now + EVENT_TIME_MAX_AHEAD + timedelta(minutes=1)), "more than a day in the future"),
        ("0001-01-01T00:00:00+01:00", "out of range"),
        ("9999-12-31T23:59:59-01:00", "out of range"),
        ("2026-01-01T00:00Z", "RFC3339"),
        ("2026-01-01 00:00:00Z", "RFC3339"),
    ]


def simple_analytics() -> Case:
    body = {
        "url": _url(4096),
        "ua": "M" * 1024,
        "width": float(PIXELS_MAX),
        "unique": True,
        "timezone": "t" * 64,
        "referrer": _url(4096, "ref.example"),
        "urlReferrer": "r" * 256,
    }
    return Case("simple analytics, every field at its longest", "/post", body)


def _zta_event() -> dict[str, Any]:
    utm = {k: "u" * 256 for k in ("source", "medium", "campaign", "term", "content")}
    device = {"screenWidth": PIXELS_MAX, "screenHeight": PIXELS_MAX, "viewportWidth": PIXELS_MAX,
              "viewportHeight": PIXELS_MAX, "language": "l" * 64}  # fmt: skip
    return {"type": "event", "siteId": "site_abc123", "path": "/" + "p" * 2047, "referrer": "r" * 4096,
            "utm": utm, "action": "a" * 256, "category": "c" * 256, "label": "l" * 256, "value": BIG,
            "sessionId": "s" * 128, "timeOnPage": ENGAGEMENT_SECONDS_MAX, "isBounce": True,
            "url": _url(4096), "device": device,
            "properties": {f"{i:02d}" + "k" * 100: "v" * 300 for i in range(30)}}  # fmt: skip


def zero_trust() -> list[Case]:
    one = _zta_event()
    small = [{"type": "pageview", "path": f"/{i}", "device": {"screenWidth": PIXELS_MAX}} for i in range(100)]
    batch = {"batch": True, "siteId": "site_abc123", "events": small}  # the most a batch holds
    return [
        Case("zero trust, every field at its longest", "/api/track", one, {"user-agent": FIREFOX}),
        Case("zero trust, a batch of 100", "/api/track", batch, {"user-agent": FIREFOX}, events=100),
    ]


def swetrix() -> list[Case]:
    text = {k: "t" * 256 for k in ("so", "me", "ca", "te", "co")}
    meta = {f"k{i:02d}": "v" * 17 for i in range(100)}  # 100 keys, 2,000 characters in all
    perf = dict.fromkeys(("dns", "tls", "conn", "response", "render", "dom_load", "page_load", "ttfb"),
                         PERF_MS_MAX)  # fmt: skip
    tracked = {"pid": "YOUR_PROJECT_ID", "profileId": "i" * 256, "pg": "/" + "p" * 2047, "lc": "l" * 64,
               "tz": "z" * 64, "ref": "r" * 2048, "qs": "q" * 2048, "meta": meta, **text}  # fmt: skip
    error = {"pid": "YOUR_PROJECT_ID", "name": "n" * 200, "message": "m" * 2000, "lineno": BIG, "colno": BIG,
             "filename": "f" * 1000, "stackTrace": "s" * 7500, "pg": "/" + "p" * 2047}  # fmt: skip
    ua = {"user-agent": FIREFOX, "x-client-ip-address": "192.0.2.1"}
    return [
        Case("swetrix pageview", "/log", {**tracked, "prev": "v" * 2048, "perf": perf}, ua),
        Case("swetrix custom event", "/log/custom", {**tracked, "ev": "E" + "v" * 62}, ua),
        Case("swetrix error", "/log/error", error, ua),
    ]


def supalytics() -> Case:
    body = {"name": "n" * 64, "visitor_id": "v" * 256,
            "metadata": {f"{i}" + "k" * 254: "v" * 255 for i in range(10)}}  # fmt: skip
    return Case("supalytics, every field at its longest", "/v1/events", body,
                {"authorization": f"Bearer {SUPALYTICS_KEY}"})  # fmt: skip


def accepted(now: datetime) -> list[Case]:
    """Every request at an edge that ingest must answer 2xx, and every later stage must store."""
    return [*hitkeep_inside(now), simple_analytics(), *zero_trust(), *swetrix(), supalytics()]
