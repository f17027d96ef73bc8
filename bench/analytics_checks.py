"""Do the derived tables say what `events` says? Per site and day (or hour), every derived table
against the same question asked of `events` with distinct event ids, so a duplicate row in
`events` (one merges have not folded yet) cannot make the two sides agree by accident.

Used by every load and fault run (bench/load/reconcile.py), by the sink's integration tests and
by the analytics benchmark. Each check is a pair of queries returning rows of (key..., measures...)
that must be equal as sets. Sessions are compared by what the sink guarantees whatever the
processors did: one row per session that has a non-bot opening event, dated by that event, whose
version is the highest `session_seq` among its non-bot events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

COUNTED = "event_type IN ('pageview', 'custom')"
VISITORS = (
    f"uniqExactIf(visitor_key, visitor_key != '' AND {COUNTED}) "
    f"+ uniqExactIf(event_id, visitor_key = '' AND is_unique AND {COUNTED})"
)
_STATS = (
    "uniqExactIf(event_id, event_type = 'pageview') AS p, uniqExactIf(event_id, event_type = 'custom') AS e, "
    f"{VISITORS} AS v, uniqExactIf(event_id, is_new_session) AS s"
)
# SummingMergeTree drops a row whose sums are all 0 (an hour of heartbeats only): so do both sides.
_NONZERO_VIEW = "pageviews + events + visitors + sessions > 0"
_DIMENSIONS = "[('page', page_path), ('hostname', toString(hostname)), ('language', toString(language))]"

CHECKS: dict[str, tuple[str, str]] = {
    "stats_daily": (
        "SELECT site_id, day, pageviews, events, visitors, sessions FROM stats_daily_view "
        f"WHERE {_NONZERO_VIEW} {{and_site}}",
        f"SELECT site_id, toDate(event_time) AS day, {_STATS} FROM events "
        "WHERE NOT is_bot {and_site} GROUP BY site_id, day HAVING p + e + v + s > 0",
    ),
    "stats_hourly": (
        "SELECT site_id, hour, pageviews, events, visitors, sessions FROM stats_hourly_view "
        f"WHERE {_NONZERO_VIEW} {{and_site}}",
        f"SELECT site_id, toDateTime(toStartOfHour(event_time), 'UTC') AS hour, {_STATS} FROM events "
        "WHERE NOT is_bot {and_site} GROUP BY site_id, hour HAVING p + e + v + s > 0",
    ),
    "breakdown_daily": (
        "SELECT site_id, day, dimension, value, pageviews FROM breakdown_daily_view WHERE true {and_site}",
        "SELECT site_id, toDate(event_time) AS day, dim.1 AS dimension, dim.2 AS value, uniqExact(event_id) "
        f"FROM events ARRAY JOIN {_DIMENSIONS} AS dim "
        "WHERE NOT is_bot AND event_type = 'pageview' {and_site} GROUP BY site_id, day, dimension, value",
    ),
    "custom_events_daily": (
        "SELECT site_id, day, event_name, prop_key, prop_value, events FROM custom_events_daily_view "
        "WHERE true {and_site}",
        "SELECT site_id, toDate(event_time) AS day, event_name, prop.1 AS prop_key, prop.2 AS prop_value, "
        "uniqExact(event_id) FROM events ARRAY JOIN arrayPushFront(arrayMap((k, v) -> (toString(k), v), "
        "mapKeys(properties), mapValues(properties)), ('', '')) AS prop "
        "WHERE NOT is_bot AND event_type = 'custom' {and_site} "
        "GROUP BY site_id, day, event_name, prop_key, prop_value",
    ),
    "sessions": (
        "SELECT site_id, session_date, count(), sum(version) FROM sessions_view WHERE true {and_site} "
        "GROUP BY site_id, session_date",
        "SELECT site_id, day, count(), sum(version) FROM ("
        " SELECT site_id, toDate(minIf(event_time, is_new_session)) AS day, max(session_seq) AS version"
        " FROM events WHERE NOT is_bot AND session_id != '' {and_site}"
        " GROUP BY site_id, session_id HAVING countIf(is_new_session) > 0"
        ") GROUP BY site_id, day",
    ),
}


def _sql(template: str, site_prefix: str | None) -> str:
    if site_prefix is None:
        return template.format(where_day="", and_site="", where_session_date="")
    cond = f"startsWith(site_id, '{site_prefix}')"
    return template.format(
        where_day=f"WHERE {cond}", and_site=f"AND {cond}", where_session_date=f"WHERE {cond}"
    )


def mismatches(
    query: Callable[[str], Sequence[Sequence[Any]]], site_prefix: str | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Per check, the rows that differ between the derived table and `events` (empty: all equal).
    `query(sql)` returns result rows; `site_prefix` limits both sides to matching site ids."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name, (derived, raw) in CHECKS.items():
        got = {tuple(r) for r in query(_sql(derived, site_prefix))}
        want = {tuple(r) for r in query(_sql(raw, site_prefix))}
        diff = sorted(got ^ want, key=repr)
        if diff:
            out[name] = diff
    return out
