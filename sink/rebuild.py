"""Refill the derived tables from `events`: `hitstream rebuild-rollups`.

Needed once after migration 0008 (the new tables start empty; the old state-based rollups are
kept, renamed legacy_*), and whenever the derived tables must be made to agree with `events`
again (after replaying a topic into a database by hand, say). Month by month, for every
materialized view fed by `events`, the target's partition is dropped and refilled by running the
view's own SELECT (read from the server, so it can never drift from the view) over that month of
`events FINAL`; sessions are derived from the month's events (one row per session, latest
`session_seq`, the attribution of its opening event, as the processors' snapshots say) through
`session_versions`; filtered hits,
which `events` does not hold, are copied from `legacy_filtered_hits` for days the new table has
none of. Safe to run again: every month is replaced, not added to.

Run it with the sinks stopped (with embedded chDB the sink's lock enforces that): an insert that
lands between a partition's drop and its refill would be counted twice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from common.clickhouse import quote_ident

log = logging.getLogger("hitstream.rebuild")
_NO_DEDUP = {"insert_deduplicate": 0}  # a refill equal to the last one must not be dropped

SESSIONS_SQL = """
INSERT INTO session_versions
SELECT
    site_id, session_id, any(visitor_key), max(session_seq) AS version,
    if(countIf(is_new_session) > 0, minIf(event_time, is_new_session), min(event_time)) AS started,
    greatest(started, maxIf(event_time, event_type != 'engagement')) AS last_seen,
    toUInt32(countIf(event_type = 'pageview')),
    argMinIf(page_path, event_time, event_type = 'pageview'),
    argMaxIf(page_path, event_time, event_type = 'pageview'),
    argMin(toString(referrer_host), opening), argMin(toString(channel), opening),
    argMin(toString(utm_source), opening), argMin(toString(utm_medium), opening),
    argMin(toString(utm_campaign), opening), argMin(toString(country), opening),
    argMin(toString(region), opening), argMin(toString(city), opening),
    argMin(toString(device_type), opening), argMin(toString(browser), opening),
    argMin(toString(os), opening)
FROM (SELECT *, (NOT is_new_session, event_time) AS opening FROM events FINAL)
WHERE NOT is_bot AND session_id != ''
    AND event_time >= toDateTime64(%(start)s, 3, 'UTC') - INTERVAL 1 DAY
    AND event_time < toDateTime64(%(start)s, 3, 'UTC') + INTERVAL 1 MONTH + INTERVAL 1 DAY
GROUP BY site_id, session_id
HAVING toYYYYMM(started) = %(month)s
"""

LEGACY_FILTERED_SQL = """
INSERT INTO filtered_hits (site_id, day, vendor, reason, hits)
SELECT site_id, day, vendor, reason, uniqExactMerge(t.hits)
FROM legacy_filtered_hits AS t
WHERE day NOT IN (SELECT DISTINCT day FROM filtered_hits)
GROUP BY site_id, day, vendor, reason
"""


@dataclass(frozen=True)
class View:
    name: str
    target: str
    select: str


def views_of_events(client: Client) -> list[View]:
    """Every materialized view that reads `events`, with its target and its SELECT."""
    rows = client.query(
        "SELECT name, as_select, create_table_query FROM system.tables "
        "WHERE database = currentDatabase() AND engine = 'MaterializedView'"
    ).result_rows
    out = []
    for name, select, create in rows:
        source = re.search(r"\bFROM\s+(?:`?\w+`?\.)?`?events`?(?=\s|$)", select)
        target = re.search(r"\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?", create)
        if source and target:
            out.append(View(name, target.group(1), select))
    return sorted(out, key=lambda v: v.name)


def _month_select(view: View, month: int) -> str:
    """The view's SELECT over one month of `events FINAL` (FINAL: a duplicate row is counted once)."""
    scoped = f"FROM (SELECT * FROM events FINAL WHERE toYYYYMM(event_time) = {int(month)}) AS events"
    return re.sub(r"\bFROM\s+(?:`?\w+`?\.)?`?events`?(?=\s|$)", scoped, view.select, count=1)


def rebuild(client: Client) -> dict[str, int]:
    """Refill every derived table from `events`; the rows each one holds afterwards."""
    months = [int(m) for (m,) in client.query(
        "SELECT DISTINCT toYYYYMM(event_time) FROM events ORDER BY 1"
    ).result_rows]  # fmt: skip
    views = views_of_events(client)
    for month in months:
        for view in views:
            _refill(client, view, month)
        _refill_sessions(client, month)
        log.info("rebuilt %d", month)
    if _exists(client, "legacy_filtered_hits"):
        client.command(LEGACY_FILTERED_SQL, settings=_NO_DEDUP)
    tables = sorted({v.target for v in views} | {"sessions", "filtered_hits"})
    return {t: int(client.command(f"SELECT count() FROM {quote_ident(t)}")) for t in tables}  # type: ignore[arg-type]


def _refill(client: Client, view: View, month: int) -> None:
    target = quote_ident(view.target)
    client.command(f"ALTER TABLE {target} DROP PARTITION {int(month)}")
    select = _month_select(view, month)
    names = [str(r[0]) for r in client.query(f"DESCRIBE ({select})").result_rows]
    columns = ", ".join(quote_ident(n) for n in names)
    client.command(f"INSERT INTO {target} ({columns}) {select}", settings=_NO_DEDUP)


def _refill_sessions(client: Client, month: int) -> None:
    client.command(f"ALTER TABLE sessions DROP PARTITION {int(month)}")
    start = f"{month // 100:04d}-{month % 100:02d}-01 00:00:00"
    client.command(SESSIONS_SQL, parameters={"start": start, "month": month}, settings=_NO_DEDUP)


def _exists(client: Client, table: str) -> bool:
    return bool(
        client.command(
            "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = %(t)s",
            parameters={"t": table},
        )
    )
