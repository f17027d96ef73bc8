"""Headline figures of a period: rollups without a filter, `events` (and its sessions) with one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from dashboard.filters import Filter
from dashboard.periods import Period
from dashboard.queries import scope
from dashboard.queries.binding import Params
from dashboard.queries.conditions import events_condition, sessions_condition
from dashboard.queries.model import Figures
from dashboard.queries.reader import Sql

# Per session: visits, bounces, mean duration and pageviews (bounce rate and views per visit).
SESSION_MEASURES = "count(), countIf(is_bounce), avg(duration_seconds), avg(pageviews)"
# Visitors of counted events: distinct keys, plus anonymous events their client declared unique.
EVENT_VISITORS = "uniqExactIf(visitor_key, visitor_key != '') + countIf(visitor_key = '' AND is_unique)"


def _rollup_sql(p: Params, site: str, period: Period) -> str:
    return (
        f"SELECT h.pv, h.anon + v.visitors, s.* FROM "
        f"(SELECT sum(pageviews) AS pv, sum(anonymous_visitors) AS anon FROM stats_hourly "
        f"WHERE {scope.hours(p, site, period)}) AS h CROSS JOIN "
        f"(SELECT uniqExact(visitor_hash) AS visitors FROM visitor_days "
        f"WHERE {scope.visitor_days(p, site, period)}) AS v CROSS JOIN "
        f"(SELECT {SESSION_MEASURES} FROM sessions_view WHERE {scope.sessions(p, site, period)}) AS s"
    )


def _events_sql(p: Params, site: str, period: Period, filters: tuple[Filter, ...]) -> str:
    return (
        f"SELECT e.pv, e.visitors, s.* FROM "
        f"(SELECT countIf(event_type = 'pageview') AS pv, {EVENT_VISITORS} AS visitors FROM events "
        f"WHERE {scope.events(p, site, period.start, period.end)} AND {scope.COUNTED} "
        f"AND {events_condition(p, site, period, filters)}) AS e CROSS JOIN "
        f"(SELECT {SESSION_MEASURES} FROM sessions_view WHERE {scope.sessions(p, site, period)} "
        f"AND {sessions_condition(p, site, period, filters)}) AS s"
    )


def finite(x: Any) -> float:
    """A mean over no rows is nan in ClickHouse; the dashboard shows 0."""
    v = float(x or 0)
    return 0.0 if math.isnan(v) or math.isinf(v) else v


def from_row(row: Sequence[Any]) -> Figures:
    pageviews, visitors, visits, bounces, duration, views = row
    visits = int(visits)
    return Figures(
        visitors=int(visitors),
        visits=visits,
        pageviews=int(pageviews),
        views_per_visit=round(finite(views), 2) if visits else 0.0,
        bounce_rate=round(int(bounces) / visits, 4) if visits else 0.0,
        visit_duration=round(finite(duration), 1) if visits else 0.0,
    )


def figures(sql: Sql, site: str, period: Period, filters: tuple[Filter, ...]) -> Figures:
    p = Params()
    query = (
        _rollup_sql(p, site, period)
        if scope.from_rollups(period, filters)
        else _events_sql(p, site, period, filters)
    )
    rows = sql.rows(query, p.values)
    return from_row(rows[0])
