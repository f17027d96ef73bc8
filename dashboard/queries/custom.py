"""Custom-event properties and vendor-filtered hits: the two breakdowns with extra columns."""

from __future__ import annotations

from dashboard.filters import Filter
from dashboard.periods import Period
from dashboard.queries import scope
from dashboard.queries.binding import Params
from dashboard.queries.conditions import event_parts
from dashboard.queries.model import BreakdownRow
from dashboard.queries.reader import Sql

PROPERTY_PAIRS = "arrayZip(arrayMap(k -> toString(k), mapKeys(properties)), mapValues(properties))"


def _property_parts(p: Params, site: str, period: Period, fs: tuple[Filter, ...], event: str) -> list[str]:
    name = p.text(event)
    parts = [
        f"SELECT kv.1 AS key, kv.2 AS value, count() AS c FROM events ARRAY JOIN {PROPERTY_PAIRS} AS kv "
        f"WHERE {cond} AND event_type = 'custom' AND event_name = {name} GROUP BY key, value"
        for cond in event_parts(p, site, period, fs)
    ]
    whole = scope.split_days(period).whole
    if not fs and whole:
        parts.append(
            f"SELECT toString(prop_key) AS key, prop_value AS value, events AS c FROM custom_events_daily "
            f"WHERE site_id = {p.text(site)} AND day >= {p.day(whole[0])} AND day <= {p.day(whole[1])} "
            f"AND event_name = {name} AND prop_key != ''"
        )
    return parts


def _event_total(p: Params, site: str, period: Period, fs: tuple[Filter, ...], event: str) -> str:
    name = p.text(event)
    parts = [
        f"SELECT count() AS c FROM events WHERE {cond} AND event_type = 'custom' AND event_name = {name}"
        for cond in event_parts(p, site, period, fs)
    ]
    whole = scope.split_days(period).whole
    if not fs and whole:
        parts.append(
            f"SELECT events AS c FROM custom_events_daily WHERE site_id = {p.text(site)} "
            f"AND day >= {p.day(whole[0])} AND day <= {p.day(whole[1])} "
            f"AND event_name = {name} AND prop_key = ''"
        )
    return f"SELECT sum(c) FROM ({' UNION ALL '.join(parts)})"


def properties(
    sql: Sql, site: str, period: Period, fs: tuple[Filter, ...], event: str, limit: int
) -> tuple[int, list[BreakdownRow]]:
    """Property key/value pairs of one custom event, by events; total = events of that name."""
    p = Params()
    query = (
        f"SELECT key, value, sum(c) AS n, ({_event_total(p, site, period, fs, event)}) AS total "
        f"FROM ({' UNION ALL '.join(_property_parts(p, site, period, fs, event))}) "
        f"GROUP BY key, value ORDER BY n DESC, key ASC, value ASC LIMIT {p.bind(limit, 'UInt32')}"
    )
    rows = sql.rows(query, p.values)
    if not rows:
        q = Params()  # no pair at all: the event may still have happened, without properties
        total_rows = sql.rows(_event_total(q, site, period, fs, event), q.values)
        return int(total_rows[0][0] or 0), []
    return int(rows[0][3]), [BreakdownRow(str(v), int(n), key=str(k)) for k, v, n, _ in rows]


def filtered(sql: Sql, site: str, period: Period, limit: int) -> tuple[int, list[BreakdownRow]]:
    """Hits vendors promised not to store, by reason and vendor, over the days the period touches."""
    p = Params()
    query = (
        f"SELECT toString(reason) AS reason, toString(vendor) AS vendor, sum(hits) AS n, "
        f"sum(n) OVER () AS total "
        f"FROM filtered_hits_daily WHERE site_id = {p.text(site)} AND {scope.day_range(p, period)} "
        f"GROUP BY reason, vendor ORDER BY n DESC, reason ASC, vendor ASC LIMIT {p.bind(limit, 'UInt32')}"
    )
    rows = sql.rows(query, p.values)
    total = int(rows[0][3]) if rows else 0
    return total, [BreakdownRow(str(r), int(n), vendor=str(v)) for r, v, n, _ in rows]
