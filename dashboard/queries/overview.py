"""The sites overview: every site's last 7 UTC days (today included) and live visitors, in three queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from dashboard.queries.binding import Params
from dashboard.queries.model import SiteOverview
from dashboard.queries.reader import Sql

DAYS = 7
SITES = "Array(String)"


def _daily(p: Params, sites: str, first: date, last: date) -> str:
    """Per site and day: visitors (distinct keys + anonymous ones) and pageviews."""
    days = f"{p.day(first)} AND {p.day(last)}"
    return (
        f"SELECT site_id, d, sum(v), sum(pv) FROM ("
        f" SELECT site_id, toDate(hour) AS d, sum(anonymous_visitors) AS v, sum(pageviews) AS pv"
        f" FROM stats_hourly WHERE site_id IN {sites} AND toDate(hour) BETWEEN {days} GROUP BY site_id, d"
        f" UNION ALL SELECT site_id, day AS d, uniqExact(visitor_hash) AS v, 0 AS pv FROM visitor_days"
        f" WHERE site_id IN {sites} AND day BETWEEN {days} GROUP BY site_id, d"
        f") GROUP BY site_id, d"
    )


def _period_visitors(p: Params, sites: str, first: date, last: date) -> str:
    days = f"{p.day(first)} AND {p.day(last)}"
    return (
        f"SELECT site_id, sum(v) FROM ("
        f" SELECT site_id, uniqExact(visitor_hash) AS v FROM visitor_days WHERE site_id IN {sites}"
        f" AND day BETWEEN {days} GROUP BY site_id"
        f" UNION ALL SELECT site_id, sum(anonymous_visitors) AS v FROM stats_hourly WHERE site_id IN {sites}"
        f" AND toDate(hour) BETWEEN {days} GROUP BY site_id"
        f") GROUP BY site_id"
    )


def live(sql: Sql, site_ids: Sequence[str]) -> dict[str, int]:
    """Distinct visitors with a non-bot event in the last five minutes (the `live_visitors` view)."""
    p = Params()
    rows = sql.rows(
        f"SELECT site_id, visitors FROM live_visitors WHERE site_id IN {p.bind(list(site_ids), SITES)}",
        p.values,
    )
    return {str(s): int(v) for s, v in rows}


def sites_overview(sql: Sql, site_ids: Sequence[str], now: datetime) -> dict[str, SiteOverview]:
    if not site_ids:
        return {}
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=DAYS - 1)
    p = Params()
    sites = p.bind(list(site_ids), SITES)
    daily: dict[tuple[str, date], tuple[int, int]] = {
        (str(s), d): (int(v), int(pv)) for s, d, v, pv in sql.rows(_daily(p, sites, first, last), p.values)
    }
    q = Params()
    visitors = _period_visitors(q, q.bind(list(site_ids), SITES), first, last)
    totals = {str(s): int(v) for s, v in sql.rows(visitors, q.values)}
    now_live = live(sql, site_ids)
    out: dict[str, SiteOverview] = {}
    for site in site_ids:
        trend = []
        for n in range(DAYS):
            d = first + timedelta(days=n)
            v, pv = daily.get((site, d), (0, 0))
            trend.append((d, v, pv))
        pageviews = sum(pv for _, _, pv in trend)
        out[site] = SiteOverview(totals.get(site, 0), pageviews, now_live.get(site, 0), trend)
    return out
