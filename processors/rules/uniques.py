"""`is_unique`: the first counted event of a visitor for a site on a UTC day.

Pageviews and custom events count; heartbeats and engagement reports do not make a visit, and
late events are never unique (they would reorder history). The days a key was counted on live in
its record of the `sessions` table (see `sessions.SessionState.days`): tumbling one-day windows
of event time, aligned to UTC midnight, kept while an on-time event can still fall on them.
"""

from __future__ import annotations

from datetime import UTC, datetime

DAY_SECONDS = 86_400
COUNTED = frozenset({"pageview", "custom"})


def utc_day(ts: float) -> int:
    """Days since the epoch: the tumbling window a timestamp falls in."""
    return int(ts // DAY_SECONDS)


def day_start(ts: float) -> datetime:
    return datetime.fromtimestamp(utc_day(ts) * DAY_SECONDS, UTC)


def counts(kind: str, late: bool) -> bool:
    return kind in COUNTED and not late


def is_unique(kind: str, late: bool, seen_today: bool) -> bool:
    return counts(kind, late) and not seen_today


def seen(days: tuple[int, ...], ts: float) -> bool:
    return utc_day(ts) in days


def remember(days: tuple[int, ...], ts: float, reach: float) -> tuple[int, ...]:
    """`days` plus the day of `ts`, without the days that end before `reach` (no on-time event
    can fall on them any more): a key seen every day keeps two or three days, not a history."""
    floor = utc_day(reach)
    return tuple(sorted({d for d in days if d >= floor} | {utc_day(ts)}))
