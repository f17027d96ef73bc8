"""Ranked breakdowns: what docs/dashboard.md's table lists, each from the one table that answers it.

Session-scoped lists (sources, entry and exit pages, locations, devices) count visits in
`sessions_view`; pages and languages count pageviews, events and their properties count custom
events: without a filter from the daily rollups for the period's whole days plus `events` for
the hours of a partial first or last day, with a filter from `events`. `filtered` counts hits
from `filtered_hits_daily` over the days the period touches (filters do not apply to hits that
were never stored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.errors import BadParameter
from dashboard.filters import MAX_VALUE_CHARS, PROP, Filter
from dashboard.periods import Period
from dashboard.queries import scope
from dashboard.queries.binding import Params
from dashboard.queries.conditions import event_parts, sessions_condition
from dashboard.queries.custom import filtered, properties
from dashboard.queries.model import Breakdown, BreakdownRow
from dashboard.queries.reader import Sql

MAX_LIMIT = 1000


@dataclass(frozen=True)
class Spec:
    """A breakdown: its filter dimension, what it counts, and the column it groups by."""

    dimension: str
    metric: str
    column: str = ""  # sessions_view column (visits), or events column (pageviews)
    daily: str = ""  # breakdown_daily dimension (pageviews)
    skip_empty: bool = False  # '' is "none" (direct, untagged): not a row, still in the total


SPECS: dict[str, Spec] = {
    "channels": Spec("channel", "visits", "channel"),
    "referrers": Spec("referrer", "visits", "referrer_host", skip_empty=True),
    "utm_sources": Spec("utm_source", "visits", "utm_source", skip_empty=True),
    "utm_mediums": Spec("utm_medium", "visits", "utm_medium", skip_empty=True),
    "utm_campaigns": Spec("utm_campaign", "visits", "utm_campaign", skip_empty=True),
    "pages": Spec("page", "pageviews", "page_path", daily="page"),
    "entry_pages": Spec("entry_page", "visits", "entry_page"),
    "exit_pages": Spec("exit_page", "visits", "exit_page"),
    "countries": Spec("country", "visits", "country"),
    "regions": Spec("region", "visits", "region"),
    "cities": Spec("city", "visits", "city"),
    "devices": Spec("device", "visits", "device_type"),
    "browsers": Spec("browser", "visits", "browser"),
    "oses": Spec("os", "visits", "os"),
    "languages": Spec("language", "pageviews", "language", daily="language"),
    "events": Spec("event", "events"),
    "properties": Spec(PROP, "events"),
    "filtered": Spec("", "hits"),
}
# Ranked (value, count, total) rows of grouped (value, count) rows, the top `limit` (+1 for '').
RANKED = "SELECT value, c, sum(c) OVER () AS total FROM ({grouped}) ORDER BY c DESC, value ASC LIMIT {limit}"


def _ranked(p: Params, grouped: str, limit: int) -> str:
    return RANKED.format(grouped=grouped, limit=p.bind(limit + 1, "UInt32"))


def _visits(p: Params, site: str, period: Period, fs: tuple[Filter, ...], spec: Spec) -> str:
    return (
        f"SELECT toString({spec.column}) AS value, count() AS c FROM sessions_view "
        f"WHERE {scope.sessions(p, site, period)} AND {sessions_condition(p, site, period, fs)} "
        f"GROUP BY value"
    )


def _pageviews(p: Params, site: str, period: Period, fs: tuple[Filter, ...], spec: Spec) -> str:
    parts = [
        f"SELECT toString({spec.column}) AS value, count() AS c FROM events "
        f"WHERE {cond} AND event_type = 'pageview' GROUP BY value"
        for cond in event_parts(p, site, period, fs)
    ]
    whole = scope.split_days(period).whole
    if not fs and whole:
        parts.append(
            f"SELECT value, pageviews AS c FROM breakdown_daily WHERE site_id = {p.text(site)} "
            f"AND dimension = {p.text(spec.daily)} AND day >= {p.day(whole[0])} AND day <= {p.day(whole[1])}"
        )
    return f"SELECT value, sum(c) AS c FROM ({' UNION ALL '.join(parts)}) GROUP BY value"


def _events(p: Params, site: str, period: Period, fs: tuple[Filter, ...]) -> str:
    parts = [
        f"SELECT toString(event_name) AS value, count() AS c FROM events "
        f"WHERE {cond} AND event_type = 'custom' GROUP BY value"
        for cond in event_parts(p, site, period, fs)
    ]
    whole = scope.split_days(period).whole
    if not fs and whole:
        parts.append(
            f"SELECT toString(event_name) AS value, events AS c FROM custom_events_daily "
            f"WHERE site_id = {p.text(site)} AND day >= {p.day(whole[0])} AND day <= {p.day(whole[1])} "
            f"AND prop_key = ''"
        )
    return f"SELECT value, sum(c) AS c FROM ({' UNION ALL '.join(parts)}) GROUP BY value"


def _rows(rows: Sequence[Sequence[Any]], limit: int, skip_empty: bool) -> tuple[int, list[BreakdownRow]]:
    total = int(rows[0][2]) if rows else 0
    kept = [BreakdownRow(str(v), int(c)) for v, c, _ in rows if not (skip_empty and v == "")]
    return total, kept[:limit]


def _check(name: str, limit: int, event: str | None) -> Spec:
    spec = SPECS.get(name)
    if spec is None:
        raise BadParameter("name", f"breakdown must be one of: {', '.join(SPECS)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    if name == "properties" and (event is None or event == ""):
        raise BadParameter("event", "the properties breakdown needs event=<custom event name>")
    if event is not None and len(event) > MAX_VALUE_CHARS:
        raise BadParameter("event", f"event may be at most {MAX_VALUE_CHARS} characters")
    return spec


def breakdown(
    sql: Sql, site: str, period: Period, fs: tuple[Filter, ...], name: str, limit: int, event: str | None
) -> Breakdown:
    spec = _check(name, limit, event)
    if name == "properties":
        total, rows = properties(sql, site, period, fs, event or "", limit)
        return Breakdown(name, spec.dimension, spec.metric, total, rows)
    if name == "filtered":
        total, rows = filtered(sql, site, period, limit)
        return Breakdown(name, spec.dimension, spec.metric, total, rows)
    p = Params()
    if spec.metric == "visits":
        grouped = _visits(p, site, period, fs, spec)
    elif spec.metric == "pageviews":
        grouped = _pageviews(p, site, period, fs, spec)
    else:
        grouped = _events(p, site, period, fs)
    total, rows = _rows(sql.rows(_ranked(p, grouped, limit), p.values), limit, spec.skip_empty)
    return Breakdown(name, spec.dimension, spec.metric, total, rows)
