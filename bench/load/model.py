"""The traffic model: sites, visitors with multi-page sessions, and the requests they make.

Every request the generator sends is a `Hit` that knows its expected fate: rejected (4xx),
accepted and stored once, or accepted and not stored (bots on vendors that drop them, HitKeep
`dnt`). Stored hits carry a marker the reconciler can find in ClickHouse (`/lg/<run>/<seq>` in
the page path, or `lg` in Supalytics metadata); Swetrix heartbeats carry no page and are
reconciled by count. Visitor addresses come from 198.18.0.0/15 (RFC 2544, benchmarking): they
are payload values only, never contacted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel {v}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 16_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
]  # fmt: skip
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.4.0",
]
REFERRERS = [
    "",
    "https://www.google.com/",
    "https://duckduckgo.com/",
    "https://twitter.com/",
    "https://news.ycombinator.com/",
]
PAGES = ["/", "/pricing", "/blog/launch", "/docs", "/signup", "/about"]
VENDORS = ("simple_analytics", "zero_trust", "swetrix", "supalytics", "hitkeep")


class Fate(StrEnum):
    STORED = "stored"  # 2xx and exactly one row in `events`
    FILTERED = "filtered"  # 2xx, no row in `events` (vendor drops bots; counted in filtered_hits)
    DROPPED = "dropped"  # 2xx, nothing stored at all (HitKeep dnt)
    REJECTED = "rejected"  # 4xx, nothing stored


@dataclass(frozen=True)
class SiteSpec:
    index: int
    host: str
    swetrix_pid: str
    zta_site_id: str
    supalytics_key: str
    hitkeep_token: str

    @property
    def site_id(self) -> str:
        return f"lg{self.index}"


@dataclass(frozen=True)
class Hit:
    seq: int
    vendor: str
    path: str
    headers: dict[str, str]
    body: bytes
    fate: Fate
    kind: str  # pageview | custom | heartbeat | engagement | invalid
    site_id: str
    visitor: str  # ground-truth identity of the visitor (site-scoped)
    marker: str | None  # what the reconciler looks for; None for markerless heartbeats
    is_bot: bool = False


@dataclass
class Visitor:
    site: SiteSpec
    vendor: str
    ident: str
    ip: str
    ua: str
    is_bot: bool
    pages_left: int
    seen_pageview: bool = False
    extras: dict[str, Any] = field(default_factory=dict)


def make_sites(n: int, run: str) -> list[SiteSpec]:
    return [
        SiteSpec(i, f"site{i}.{run}.example", f"P{run}{i}", f"site_{run}_{i}", f"sly_{run}{i:04d}key",
                 f"hk_{run}{i:04d}token")
        for i in range(n)
    ]  # fmt: skip


class TrafficModel:
    """Deterministic for a seed: the same run replays the same requests."""

    def __init__(
        self,
        sites: list[SiteSpec],
        run: str,
        *,
        seed: int = 7,
        bot_share: float = 0.05,
        invalid_share: float = 0.03,
        concurrent_visitors: int = 200,
        hot_share: float = 0.0,
    ) -> None:
        self._rng = random.Random(seed)
        self._sites = sites
        self._run = run
        self._bot_share = bot_share
        self._invalid_share = invalid_share
        self._active: list[Visitor] = []
        self._target = concurrent_visitors
        self._seq = 0
        self._visitors = 0
        self._hot_share = hot_share
        self._hot = Visitor(site=sites[0], vendor="hitkeep", ident="hot", ip="198.19.255.254",
                            ua="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0 hot",
                            is_bot=True, pages_left=1 << 62)  # fmt: skip

    def next_hit(self) -> Hit:
        self._seq += 1
        if self._rng.random() < self._invalid_share:
            return self._invalid(self._seq)
        if self._hot_share and self._rng.random() < self._hot_share:
            # One visitor (one Kafka key) sending far more than anyone else: flagged as a bot by
            # behaviour, and measured apart so its effect on everyone else's latency shows.
            return self._hitkeep(self._hot, self._seq, hot=True)
        while len(self._active) < self._target:
            self._active.append(self._new_visitor())
        i = self._rng.randrange(len(self._active))
        v = self._active[i]
        hit = self._visit(v, self._seq)
        if v.pages_left <= 0:
            self._active[i] = self._active[-1]
            self._active.pop()
        return hit

    def _new_visitor(self) -> Visitor:
        self._visitors += 1
        n = self._visitors
        rng = self._rng
        bot = rng.random() < self._bot_share
        ua = rng.choice(BOTS) if bot else rng.choice(BROWSERS).format(v=rng.randint(5, 125))
        return Visitor(
            site=rng.choice(self._sites), vendor=rng.choice(VENDORS), ident=f"{self._run}-{n}",
            ip=f"198.{18 + (n >> 16) % 2}.{(n >> 8) % 256}.{n % 256}", ua=ua, is_bot=bot,
            pages_left=rng.randint(1, 6),
        )  # fmt: skip

    def _visit(self, v: Visitor, seq: int) -> Hit:
        builder = getattr(self, f"_{v.vendor}")
        hit: Hit = builder(v, seq)
        v.pages_left -= 1
        return hit

    def _marker(self, seq: int, hot: bool = False) -> str:
        return f"/lg/{self._run}/{'h' if hot else ''}{seq}"

    def _fate(self, v: Visitor, drops_bots: bool) -> Fate:
        return Fate.FILTERED if (v.is_bot and drops_bots) else Fate.STORED

    def _json(self, payload: dict[str, Any]) -> bytes:
        return orjson.dumps(payload)

    def _simple_analytics(self, v: Visitor, seq: int, hot: bool = False) -> Hit:
        m = self._marker(seq, hot)
        body = {
            "url": f"https://{v.site.host}{m}?utm_source=lg&secret=1#frag",
            "ua": v.ua,
            "width": 1440,
            "timezone": "Europe/Amsterdam",
            "referrer": self._rng.choice(REFERRERS) or None,
        }
        return Hit(seq, v.vendor, "/post", {"user-agent": v.ua}, self._json(body), self._fate(v, False),
                   "pageview", v.site.site_id, v.ident, m, v.is_bot)  # fmt: skip

    def _zero_trust(self, v: Visitor, seq: int) -> Hit:
        m = self._marker(seq)
        custom = v.seen_pageview and self._rng.random() < 0.3
        body: dict[str, Any] = {
            "type": "event" if custom else "pageview",
            "siteId": v.site.zta_site_id,
            "path": m,
            "sessionId": f"sess_{v.ident}",
        }
        if custom:
            body.update(action="signup_click", category="conversion", label="hero", value=1)
        else:
            body.update(referrer=self._rng.choice(REFERRERS) or None, utm={"source": "lg", "medium": "load"})
        v.seen_pageview = True
        # The tracker script in the visitor's browser: an Origin, and the visitor's own address as
        # the load balancer in front of ingest forwards it (INGEST_TRUSTED_PROXIES).
        headers = {"user-agent": v.ua, "origin": f"https://{v.site.host}", "x-forwarded-for": v.ip}
        return Hit(seq, v.vendor, "/api/track", headers, self._json(body), self._fate(v, True),
                   "custom" if custom else "pageview", v.site.site_id, v.ident, m, v.is_bot)  # fmt: skip

    def _swetrix(self, v: Visitor, seq: int) -> Hit:
        headers = {"user-agent": v.ua, "x-client-ip-address": v.ip}
        fate = self._fate(v, True)
        if v.seen_pageview and self._rng.random() < 0.3:
            body = self._json({"pid": v.site.swetrix_pid})
            # A heartbeat from a bot is dropped before any session exists: no row, no filtered row.
            return Hit(seq, v.vendor, "/log/hb", headers, body, Fate.FILTERED if v.is_bot else Fate.STORED,
                       "heartbeat", v.site.site_id, v.ident, None, v.is_bot)  # fmt: skip
        m = self._marker(seq)
        if v.seen_pageview and self._rng.random() < 0.3:
            body = self._json({"pid": v.site.swetrix_pid, "ev": "video.play", "pg": m})
            return Hit(seq, v.vendor, "/log/custom", headers, body, fate, "custom", v.site.site_id, v.ident, m,
                       v.is_bot)  # fmt: skip
        v.seen_pageview = True
        body = self._json(
            {
                "pid": v.site.swetrix_pid,
                "pg": m,
                "lc": "en-US",
                "tz": "Europe/Kiev",
                "ref": self._rng.choice(REFERRERS) or None,
            }
        )
        return Hit(
            seq, v.vendor, "/log", headers, body, fate, "pageview", v.site.site_id, v.ident, m, v.is_bot
        )

    def _supalytics(self, v: Visitor, seq: int) -> Hit:
        m = self._marker(seq)
        body = {
            "name": "subscription_created",
            "visitor_id": f"vis_{v.ident}",
            "metadata": {"plan": "pro", "amount": 29, "lg": m},
        }
        # A backend event: the user agent is the backend's HTTP library, never a visitor's, so even
        # a "bot" visitor's events are people's here (only the visitor's own UA flags a bot).
        headers = {"authorization": f"Bearer {v.site.supalytics_key}", "user-agent": v.ua}
        return Hit(seq, v.vendor, "/v1/events", headers, self._json(body), Fate.STORED, "custom",
                   v.site.site_id, v.ident, m, False)  # fmt: skip

    def _hitkeep(self, v: Visitor, seq: int, hot: bool = False) -> Hit:
        m = self._marker(seq, hot)
        dnt = self._rng.random() < 0.02
        body = {
            "url": f"https://{v.site.host}{m}?utm_campaign=lg",
            "user_agent": v.ua,
            "visitor_ip": v.ip,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "session_id": _uuid_for(v.ident),
            "language": "en-GB",
            "screen_width": 1920,
            "screen_height": 1080,
            "dnt": dnt,
        }
        headers = {"authorization": f"Bearer {v.site.hitkeep_token}"}
        return Hit(
            seq,
            v.vendor,
            "/api/ingest/server/pageview",
            headers,
            self._json(body),
            Fate.DROPPED if dnt else Fate.STORED,
            "pageview",
            v.site.site_id,
            v.ident,
            m,
            v.is_bot,
        )

    def _invalid(self, seq: int) -> Hit:
        site = self._rng.choice(self._sites)
        choice = self._rng.randrange(6)
        cases: list[tuple[str, dict[str, str], bytes]] = [
            ("/log", {"user-agent": BROWSERS[0]}, b'{"pid": "no-such-project"}'),
            ("/post", {"user-agent": BROWSERS[0]}, b'{"url": "https://unknown.invalid/"}'),
            ("/api/track", {}, b'{"type": "pageview"'),
            ("/v1/events", {"authorization": "Bearer sly_wrong"}, b'{"name": "x"}'),
            ("/api/ingest/server/pageview", {"authorization": f"Bearer {site.hitkeep_token}"},
             b'{"url": "not a url", "timestamp": "yesterday"}'),
            ("/log/custom", {"user-agent": BROWSERS[0]}, orjson.dumps({"pid": site.swetrix_pid, "ev": "1bad"})),
        ]  # fmt: skip
        path, headers, body = cases[choice]
        return Hit(seq, "invalid", path, headers, body, Fate.REJECTED, "invalid", site.site_id, "", None)


def _uuid_for(ident: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, ident))
