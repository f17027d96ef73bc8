"""`is_unique`: the first counted event of a visitor for a site on a UTC day.

Pageviews and custom events count; heartbeats and engagement reports do not make a visit, and
late events are never unique (they would reorder history). The faust side keeps the answer in a
tumbling one-day window keyed by the Kafka key (`site|visitor`), relative to event time.
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
