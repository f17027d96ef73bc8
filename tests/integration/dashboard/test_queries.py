"""The query layer against the ground truth: known traffic in a real chDB (migrated, loaded through
the sink's insert path), every figure, the first rows of every breakdown and the time series, with
no filter (the rollups answer) and with each kind of filter (`events` answers), each compared with
the same question counted in Python over the rows of `events` (tests/integration/dashboard/truth.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from common.clickhouse import connect
from dashboard import periods
from dashboard.errors import BadParameter
from dashboard.filters import Filter, parse
from dashboard.periods import Period
from dashboard.queries import FIGURE_NAMES, Reader
from dashboard.queries.breakdowns import SPECS
from sink import migrate
from sink.http_interface import HttpInterface, QueryGateway
from tests.integration.dashboard.traffic import SITES, traffic
from tests.integration.dashboard.truth import Truth, live
from tests.integration.sink.loading import load
from tests.support.services import free_port

pytestmark = pytest.mark.clickhouse
SITE = SITES[0]
# How far a figure may be from the truth: the Reader rounds ratios (4, 2 and 1 decimals).
TOLERANCE = {"views_per_visit": 0.006, "bounce_rate": 0.0001, "visit_duration": 0.051}


@dataclass
class Loaded:
    reader: Reader
    client: Client
    truth: Truth
    now: datetime
    database: str
    dsn: str

    def period(self, key: str, previous: bool = False) -> Period:
        if key == "custom":
            first = (self.now - timedelta(days=20)).date().isoformat()
            last = (self.now - timedelta(days=10)).date().isoformat()
            p = periods.resolve("custom", first, last, self.now)
        else:
            p = periods.resolve(key, None, None, self.now)
        return p.previous() if previous else p


@pytest.fixture(scope="module")
def loaded(_chdb_path: Path) -> Iterator[Loaded]:
    dsn = os.environ.get("CLICKHOUSE_URL") or f"chdb://{_chdb_path}"
    database = f"dash{os.getpid()}"
    migrate.apply(dsn, database)
    client = connect(dsn, database=database)
    now = datetime.now(UTC)
    load(client, traffic(now), "dashboard")
    yield Loaded(Reader(client), client, Truth(client, SITE), now, database, dsn)
    client.command(f"DROP DATABASE IF EXISTS `{database}`")


PERIODS = [
    ("realtime", False), ("today", False), ("yesterday", False), ("7d", False), ("7d", True),
    ("30d", False), ("30d", True), ("mtd", False), ("last_month", False), ("12mo", False),
    ("custom", False), ("today", True),
]  # fmt: skip
FILTERS: dict[str, list[tuple[str, str]]] = {
    "none": [],
    "page": [("f.page", "/pricing")],
    "hostname": [("f.hostname", f"blog.{SITE}.com")],
    "language": [("f.language", "de-DE")],
    "event": [("f.event", "signup")],
    "prop": [("f.prop.plan", "pro")],
    "channel": [("f.channel", "direct")],
    "referrer": [("f.referrer", "t.co")],
    "utm_source": [("f.utm_source", "newsletter")],
    "utm_medium": [("f.utm_medium", "social")],
    "utm_campaign": [("f.utm_campaign", "launch")],
    "country": [("f.country", "DE")],
    "region": [("f.region", "FR-1")],
    "city": [("f.city", "London")],
    "device": [("f.device", "mobile")],
    "browser": [("f.browser", "Firefox")],
    "os": [("f.os", "iOS")],
    "entry_page": [("f.entry_page", "/docs")],
    "exit_page": [("f.exit_page", "/signup")],
    "country+page": [("f.country", "DE"), ("f.page", "/")],
    "event+device+exit": [("f.event", "download"), ("f.device", "desktop"), ("f.exit_page", "/about")],
    "hostile": [("f.page", "x' OR 1=1 --\\"), ("f.prop.it's", "\n\t🙂")],
}


def _close(name: str, got: float, want: float) -> bool:
    return abs(got - want) <= TOLERANCE.get(name, 0)


def _figure_mismatches(loaded: Loaded, fs: tuple[Filter, ...]) -> list[str]:
    out = []
    for key, prev in PERIODS:
        p = loaded.period(key, prev)
        got = loaded.reader.figures(SITE, p, fs).as_dict()
        want = loaded.truth.figures(p.start, p.end, fs)
        out += [f"{key}{' previous' if prev else ''} {n}: {got[n]} != {want[n]}"
                for n in FIGURE_NAMES if not _close(n, got[n], want[n])]  # fmt: skip
    return out


@pytest.mark.parametrize("which", sorted(FILTERS))
def test_figures_equal_the_ground_truth(loaded: Loaded, which: str) -> None:
    assert not _figure_mismatches(loaded, parse(FILTERS[which]))


def test_the_data_exercises_every_figure(loaded: Loaded) -> None:
    """Not a vacuous pass: the periods and filters above find real traffic."""
    month = loaded.truth.figures(*_span(loaded.period("30d")), ())
    assert month["visitors"] > 500 and month["visits"] > 500 and 0 < month["bounce_rate"] < 1
    for which, params in FILTERS.items():
        if which not in ("none", "hostile"):
            got = loaded.truth.figures(*_span(loaded.period("30d")), parse(params))
            assert got["visitors"] > 0, which
    assert loaded.truth.figures(*_span(loaded.period("realtime")), ())["pageviews"] > 0


def _span(p: Period) -> tuple[datetime, datetime]:
    return p.start, p.end


BREAKDOWN_FILTERS = ["none", "country", "page", "event", "prop", "entry_page", "channel", "country+page"]
BREAKDOWN_PERIODS = [
    ("30d", False),
    ("7d", True),
    ("today", False),
    ("yesterday", False),
    ("realtime", False),
]


def _rows(b: Any) -> list[tuple[Any, ...]]:
    return [(r.key, r.value, r.count) if r.key is not None else (r.value, r.count) for r in b.rows]


@pytest.mark.parametrize("name", sorted(n for n in SPECS if n != "filtered"))
def test_breakdowns_equal_the_ground_truth(loaded: Loaded, name: str) -> None:
    event = "signup" if name == "properties" else None
    bad = []
    for which in BREAKDOWN_FILTERS:
        fs = parse(FILTERS[which])
        for key, prev in BREAKDOWN_PERIODS if which == "none" else BREAKDOWN_PERIODS[:2]:
            p = loaded.period(key, prev)
            got = loaded.reader.breakdown(SITE, p, fs, name, 5, event)
            total, rows = loaded.truth.breakdown(p, fs, name, event)
            if (got.total, _rows(got)) != (total, rows[:5]):
                bad.append(
                    f"{which} {key}{' previous' * prev}: {got.total} {_rows(got)} != {total} {rows[:5]}"
                )
    assert not bad


def test_breakdown_names_dimensions_and_metrics_are_the_contracts(loaded: Loaded) -> None:
    p = loaded.period("30d")
    for name, spec in SPECS.items():
        b = loaded.reader.breakdown(SITE, p, (), name, 3, "signup")
        assert (b.name, b.dimension, b.metric) == (name, spec.dimension, spec.metric)
        assert len(b.rows) <= 3
    assert SPECS["pages"].metric == "pageviews" and SPECS["countries"].metric == "visits"


def test_filtered_hits_by_reason_and_vendor(loaded: Loaded) -> None:
    p = loaded.period("30d")
    want = loaded.client.query(
        "SELECT sum(hits) FROM filtered_hits WHERE site_id = {s:String} AND day >= {d:Date}",
        parameters={"s": SITE, "d": p.start.date()},
    ).result_rows[0][0]
    b = loaded.reader.breakdown(SITE, p, (), "filtered", 10)
    assert want > 0 and b.total == want and b.rows[0].vendor == "zero_trust" and b.rows[0].value == "bot"
    assert b.rows == loaded.reader.breakdown(SITE, p, parse(FILTERS["country"]), "filtered", 10).rows


TIMESERIES_PERIODS = [
    ("realtime", False), ("today", False), ("yesterday", False), ("7d", False), ("7d", True), ("12mo", False),
    ("custom", False),
]  # fmt: skip


@pytest.mark.parametrize("metric", FIGURE_NAMES)
@pytest.mark.parametrize("which", ["none", "country", "page", "exit_page"])
def test_timeseries_equal_the_ground_truth(loaded: Loaded, metric: str, which: str) -> None:
    fs = parse(FILTERS[which])
    bad = []
    for key, prev in TIMESERIES_PERIODS:
        p = loaded.period(key, prev)
        got = loaded.reader.timeseries(SITE, p, fs, metric)
        want = loaded.truth.timeseries(p, fs, metric)
        assert [t for t, _ in got] == p.buckets()
        bad += [
            f"{key} {t}: {g} != {w}"
            for (t, g), (_, w) in zip(got, want, strict=True)
            if not _close(metric, g, w)
        ]
    assert not bad


def test_sites_overview_and_live(loaded: Loaded) -> None:
    overview = loaded.reader.sites_overview([*SITES, "nobody"], loaded.now)
    assert set(overview) == {*SITES, "nobody"}
    week = periods.resolve("7d", None, None, loaded.now)
    for site in SITES:
        truth = loaded.truth if site == SITE else Truth(loaded.client, site)
        o = overview[site]
        want = truth.figures(week.start, week.end, ())
        assert (o.visitors, o.pageviews) == (want["visitors"], want["pageviews"])
        assert [d for d, _, _ in o.trend] == [b.date() for b in week.buckets()]
        for d, v, pv in o.trend:
            midnight = datetime.combine(d, datetime.min.time(), UTC)
            day = truth.figures(midnight, midnight + timedelta(days=1), ())
            assert (v, pv) == (day["visitors"], day["pageviews"]), d
    assert overview["nobody"].visitors == 0 and len(overview["nobody"].trend) == 7
    assert loaded.reader.sites_overview([], loaded.now) == {}
    assert loaded.reader.live(SITE) == live(loaded.truth, datetime.now(UTC)) > 0
    assert loaded.reader.live("nobody") == 0
    assert loaded.reader.ping()


def test_bad_parameters_are_refused(loaded: Loaded) -> None:
    p = loaded.period("7d")
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: loaded.reader.breakdown(SITE, p, (), "sources", 10), "name"),
        (lambda: loaded.reader.breakdown(SITE, p, (), "pages", 0), "limit"),
        (lambda: loaded.reader.breakdown(SITE, p, (), "pages", 1001), "limit"),
        (lambda: loaded.reader.breakdown(SITE, p, (), "properties", 10), "event"),
        (lambda: loaded.reader.timeseries(SITE, p, (), "revenue"), "metric"),
    ]
    for call, parameter in calls:
        with pytest.raises(BadParameter) as e:
            call()
        assert e.value.parameter == parameter
    assert len(loaded.reader.breakdown(SITE, loaded.period("30d"), (), "pages", 1000).rows) > 5


def test_the_reader_answers_the_same_through_the_sinks_http_interface(loaded: Loaded) -> None:
    """With embedded chDB the dashboard reads through the sink's HTTP interface: bound values
    (strings, arrays, dates) must arrive as they would at a server."""
    gateway_client = connect(loaded.dsn, database=loaded.database)
    http = HttpInterface(
        QueryGateway(gateway_client, threading.Lock(), readonly=True), "127.0.0.1", free_port()
    )
    http.start()
    try:
        host, port = http.address.removeprefix("http://").split(":")
        remote = Reader(clickhouse_connect.get_client(host=host, port=int(port), database=loaded.database))
        p = loaded.period("7d", previous=True)
        for which in ("none", "country", "hostile", "event+device+exit"):
            fs = parse(FILTERS[which])
            assert remote.figures(SITE, p, fs) == loaded.reader.figures(SITE, p, fs), which
            assert remote.breakdown(SITE, p, fs, "pages", 5) == loaded.reader.breakdown(
                SITE, p, fs, "pages", 5
            )
        assert remote.timeseries(SITE, p, (), "visitors") == loaded.reader.timeseries(SITE, p, (), "visitors")
        assert remote.sites_overview(list(SITES), loaded.now) == loaded.reader.sites_overview(
            list(SITES), loaded.now
        )
        assert remote.ping()
    finally:
        http.stop()
        gateway_client.close()
