"""One figure per interval bucket of a period, zeros where nothing happened.

Visitors of a bucket are distinct within the bucket (an hour's are its visitors with that
hour's bit, a week's the distinct visitors of its days), never a sum of smaller buckets.
Session figures (visits, bounce rate, visit duration, views per visit) are those of the
sessions that started in the bucket.
"""

from __future__ import annotations

from datetime import datetime

from dashboard.errors import BadParameter
from dashboard.filters import Filter
from dashboard.periods import Period
from dashboard.queries import scope
from dashboard.queries.binding import Params
from dashboard.queries.conditions import events_condition, sessions_condition
from dashboard.queries.model import FIGURE_NAMES
from dashboard.queries.reader import Sql

# A session figure per bucket, from `sessions_view` (count, or a ratio over the bucket's sessions).
SESSION_METRICS = {
    "visits": "count()",
    "bounce_rate": "round(countIf(is_bounce) / count(), 4)",
    "visit_duration": "round(avg(duration_seconds), 1)",
    "views_per_visit": "round(avg(pageviews), 2)",
}
RATIOS = ("bounce_rate", "visit_duration", "views_per_visit")


def _sessions(p: Params, site: str, period: Period, filters: tuple[Filter, ...], metric: str) -> str:
    bucket = scope.TIME_BUCKET[period.interval].format(c="start_time")
    return (
        f"SELECT toUnixTimestamp({bucket}) AS t, {SESSION_METRICS[metric]} FROM sessions_view "
        f"WHERE {scope.sessions(p, site, period)} AND {sessions_condition(p, site, period, filters)} "
        f"GROUP BY t"
    )


def _events(p: Params, site: str, period: Period, filters: tuple[Filter, ...], metric: str) -> str:
    bucket = scope.TIME_BUCKET[period.interval].format(c="event_time")
    measure = "countIf(event_type = 'pageview')" if metric == "pageviews" else (
        "uniqExactIf(visitor_key, visitor_key != '') + countIf(visitor_key = '' AND is_unique)"
    )  # fmt: skip
    return (
        f"SELECT toUnixTimestamp({bucket}) AS t, {measure} FROM events "
        f"WHERE {scope.events(p, site, period.start, period.end)} AND {scope.COUNTED} "
        f"AND {events_condition(p, site, period, filters)} GROUP BY t"
    )


def _rollup(p: Params, site: str, period: Period, metric: str) -> str:
    bucket = scope.TIME_BUCKET[period.interval].format(c="hour")
    hourly = (
        f"SELECT toUnixTimestamp({bucket}) AS t, sum(MEASURE) AS n FROM stats_hourly "
        f"WHERE {scope.hours(p, site, period)} GROUP BY t"
    )
    if metric == "pageviews":
        return hourly.replace("MEASURE", "pageviews")
    if period.interval == "hour":
        per_visitor = (
            f"SELECT toUnixTimestamp(toDateTime(day, 'UTC') + h * 3600) AS t, uniqExact(visitor_hash) AS n "
            f"FROM visitor_days "
            f"ARRAY JOIN bitPositionsToArray(bitAnd(hours, {scope.visitor_day_mask(p, period)})) AS h "
            f"WHERE {scope.visitor_days(p, site, period)} GROUP BY t"
        )
    else:
        day_bucket = scope.DAY_BUCKET[period.interval].format(c="day")
        per_visitor = (
            f"SELECT toUnixTimestamp({day_bucket}) AS t, uniqExact(visitor_hash) AS n FROM visitor_days "
            f"WHERE {scope.visitor_days(p, site, period)} GROUP BY t"
        )
    return (
        f"SELECT t, sum(n) FROM ({hourly.replace('MEASURE', 'anonymous_visitors')} "
        f"UNION ALL {per_visitor}) GROUP BY t"
    )


def timeseries(
    sql: Sql, site: str, period: Period, filters: tuple[Filter, ...], metric: str
) -> list[tuple[datetime, float]]:
    if metric not in FIGURE_NAMES:
        raise BadParameter("metric", f"metric must be one of: {', '.join(FIGURE_NAMES)}")
    p = Params()
    if metric in SESSION_METRICS:
        query = _sessions(p, site, period, filters, metric)
    elif scope.from_rollups(period, filters):
        query = _rollup(p, site, period, metric)
    else:
        query = _events(p, site, period, filters, metric)
    cast = float if metric in RATIOS else int
    values = {int(t): cast(v) for t, v in sql.rows(query, p.values)}
    return [(b, values.get(int(b.timestamp()), cast(0))) for b in period.buckets()]
