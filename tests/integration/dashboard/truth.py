"""The ground truth the query layer is checked against: every event of a site read from `events`
and counted in plain Python, by the definitions of docs/dashboard.md ("How each figure is counted").
Deliberately naive: no rollup, no SQL beyond one SELECT of the rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.client import Client

from dashboard.filters import Filter
from dashboard.periods import Period, _next_bucket

COLUMNS = (
    "toUnixTimestamp64Milli(event_time) AS ms, toString(event_type), toString(event_name), visitor_key, "
    "is_unique, session_id, is_new_session, session_seq, page_path, toString(hostname), toString(language), "
    "toString(channel), toString(referrer_host), toString(utm_source), toString(utm_medium), "
    "toString(utm_campaign), toString(country), toString(region), toString(city), toString(device_type), "
    "toString(browser), toString(os), mapKeys(properties), mapValues(properties)"
)


@dataclass
class Ev:
    t: datetime
    type: str
    name: str
    visitor: str
    unique: bool
    session: str
    new: bool
    seq: int
    page: str
    hostname: str
    language: str
    channel: str
    referrer: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    country: str
    region: str
    city: str
    device: str
    browser: str
    os: str
    props: dict[str, str]


@dataclass
class Sess:
    first: Ev
    events: list[Ev] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.first.t

    @property
    def pageviews(self) -> int:
        return sum(e.type == "pageview" for e in self.events)

    @property
    def duration(self) -> float:
        return (max(e.t for e in self.events) - self.start).total_seconds()

    def page(self, last: bool) -> str:
        views = sorted((e.seq, e.page) for e in self.events if e.type == "pageview")
        return (views[-1] if last else views[0])[1] if views else ""


EVENT_ATTRS = {"page": "page", "hostname": "hostname", "language": "language"}
SESSION_ATTRS = {
    "channel": "channel", "referrer": "referrer", "utm_source": "utm_source", "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign", "country": "country", "region": "region", "city": "city",
    "device": "device", "browser": "browser", "os": "os",
}  # fmt: skip


class Truth:
    """Every non-bot event of one site, and its sessions."""

    def __init__(self, client: Client, site: str) -> None:
        sql = f"SELECT {COLUMNS} FROM events WHERE site_id = {{s:String}} AND NOT is_bot"
        rows = client.query(sql, parameters={"s": site}).result_rows
        self.events = [_ev(r) for r in rows]
        self.sessions: dict[str, Sess] = {}
        for e in sorted(self.events, key=lambda e: (not e.new, e.t)):
            if not e.session:
                continue
            if e.session not in self.sessions:
                assert e.new, f"session {e.session} has no opening event"
                self.sessions[e.session] = Sess(e)
            self.sessions[e.session].events.append(e)

    def matches(self, e: Ev, f: Filter) -> bool:
        if f.dimension in EVENT_ATTRS:
            return bool(getattr(e, EVENT_ATTRS[f.dimension]) == f.value)
        if f.dimension == "event":
            return e.type == "custom" and e.name == f.value
        if f.dimension == "prop":
            return e.type == "custom" and f.key in e.props and e.props[f.key or ""] == f.value
        s = self.sessions.get(e.session) if e.session else None
        if f.dimension in ("entry_page", "exit_page"):
            return s is not None and s.page(last=f.dimension == "exit_page") == f.value
        attr = SESSION_ATTRS[f.dimension]
        return bool(getattr(s.first if s else e, attr) == f.value)

    def counted(self, start: datetime, end: datetime, fs: tuple[Filter, ...]) -> list[Ev]:
        return [
            e for e in self.events
            if start <= e.t < end and e.type in ("pageview", "custom") and all(self.matches(e, f) for f in fs)
        ]  # fmt: skip

    def visits(self, start: datetime, end: datetime, fs: tuple[Filter, ...]) -> list[Sess]:
        started = [s for s in self.sessions.values() if start <= s.start < end]
        if not fs:
            return started
        ids = {e.session for e in self.counted(start, end, fs) if e.session}
        return [s for s in started if s.first.session in ids]

    def figures(self, start: datetime, end: datetime, fs: tuple[Filter, ...]) -> dict[str, float]:
        c = self.counted(start, end, fs)
        return {
            "visitors": len({e.visitor for e in c if e.visitor})
            + sum(1 for e in c if not e.visitor and e.unique),
            "pageviews": sum(e.type == "pageview" for e in c),
            **session_figures(self.visits(start, end, fs)),
        }

    def timeseries(self, period: Period, fs: tuple[Filter, ...], metric: str) -> list[tuple[datetime, float]]:
        """Visitors and pageviews counted within each bucket; session figures of the period's visits
        that started in the bucket (a visit to /pricing started at 10:58 is 10:00's, whenever it
        got there)."""
        visits = self.visits(period.start, period.end, fs)
        out = []
        for b in period.buckets():
            lo, hi = max(b, period.start), min(_next_bucket(b, period.interval), period.end)
            if metric in ("visitors", "pageviews"):
                out.append((b, self.figures(lo, hi, fs)[metric]))
            else:
                out.append((b, session_figures([v for v in visits if lo <= v.start < hi])[metric]))
        return out

    def breakdown(
        self, period: Period, fs: tuple[Filter, ...], name: str, event: str | None = None
    ) -> tuple[int, list[tuple[Any, ...]]]:
        """(total, rows ranked by count then value): rows are (value, count) or (key, value, count)."""
        s, e = period.start, period.end
        session_value = SESSION_BREAKDOWNS.get(name)
        if session_value is not None:
            visits = self.visits(s, e, fs)
            counts = Counter(session_value(v) for v in visits)
            if name in ("referrers", "utm_sources", "utm_mediums", "utm_campaigns"):
                counts.pop("", None)
            return len(visits), ranked(counts)
        c = self.counted(s, e, fs)
        if name in ("pages", "languages"):
            views = [x for x in c if x.type == "pageview"]
            return len(views), ranked(Counter(x.page if name == "pages" else x.language for x in views))
        customs = [x for x in c if x.type == "custom"]
        if name == "events":
            return len(customs), ranked(Counter(x.name for x in customs))
        assert name == "properties"
        of_event = [x for x in customs if x.name == event]
        pairs = Counter((k, v) for x in of_event for k, v in x.props.items())
        rows = sorted(((k, v, n) for (k, v), n in pairs.items()), key=lambda r: (-r[2], r[0], r[1]))
        return len(of_event), rows


def session_figures(visits: list[Sess]) -> dict[str, float]:
    n = len(visits)
    return {
        "visits": n,
        "views_per_visit": sum(s.pageviews for s in visits) / n if n else 0.0,
        "bounce_rate": sum(s.pageviews <= 1 for s in visits) / n if n else 0.0,
        "visit_duration": sum(s.duration for s in visits) / n if n else 0.0,
    }


def ranked(counts: Counter[str]) -> list[tuple[Any, ...]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


SESSION_BREAKDOWNS: dict[str, Callable[[Sess], str]] = {
    "channels": lambda s: s.first.channel,
    "referrers": lambda s: s.first.referrer,
    "utm_sources": lambda s: s.first.utm_source,
    "utm_mediums": lambda s: s.first.utm_medium,
    "utm_campaigns": lambda s: s.first.utm_campaign,
    "entry_pages": lambda s: s.page(last=False),
    "exit_pages": lambda s: s.page(last=True),
    "countries": lambda s: s.first.country,
    "regions": lambda s: s.first.region,
    "cities": lambda s: s.first.city,
    "devices": lambda s: s.first.device,
    "browsers": lambda s: s.first.browser,
    "oses": lambda s: s.first.os,
}


def _ev(r: Iterable[Any]) -> Ev:
    ms, *rest = r
    *cols, keys, values = rest
    return Ev(datetime.fromtimestamp(ms / 1000, UTC), *cols, dict(zip(keys, values, strict=True)))  # type: ignore[call-arg]


def live(truth: Truth, now: datetime) -> int:
    """Distinct visitor keys with a non-bot event in the last five minutes (any event type)."""
    return len({e.visitor for e in truth.events if e.visitor and now - timedelta(minutes=5) <= e.t})
