"""Where a question is answered, and the conditions that let ClickHouse read only that site's days.

The table decider: without a filter an hour-aligned period is answered by the rollups
(`stats_hourly`, `visitor_days`, `sessions_view`, the daily tables); any filter, or the minute
periods of realtime, by `events`. Every condition starts with the sorting key of the table it
reads (`site_id`, then its day or hour), so a query reads only the granules of one site's days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dashboard.filters import Filter
from dashboard.periods import Interval, Period
from dashboard.queries.binding import Params

ALL_HOURS = (1 << 24) - 1
COUNTED = "event_type IN ('pageview', 'custom')"  # what visitors are made of (docs/analytics.md)
SESSION_KEY = "toUInt32(cityHash64(session_id) % 4294967296)"  # sessions.session_key of a session_id

# Bucket of a DateTime column / of a Date column, per interval, as a DateTime('UTC').
TIME_BUCKET: dict[Interval, str] = {
    "minute": "toStartOfMinute({c})", "hour": "toStartOfHour({c})", "day": "toStartOfDay({c})",
    "week": "toDateTime(toMonday({c}), 'UTC')", "month": "toDateTime(toStartOfMonth({c}), 'UTC')",
}  # fmt: skip
DAY_BUCKET: dict[Interval, str] = {
    "day": "toDateTime({c}, 'UTC')", "week": "toDateTime(toMonday({c}), 'UTC')",
    "month": "toDateTime(toStartOfMonth({c}), 'UTC')",
}  # fmt: skip


def from_rollups(period: Period, filters: tuple[Filter, ...]) -> bool:
    """True when the rollups answer exactly: no filter, and a period of whole hours."""
    return not filters and period.interval != "minute" and _hour_aligned(period.start, period.end)


def _hour_aligned(*ts: datetime) -> bool:
    return all(t.minute == 0 and t.second == 0 and t.microsecond == 0 for t in ts)


def last_day(period: Period) -> date:
    return (period.end - timedelta(microseconds=1)).date()


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def hour_mask(first: datetime, end: datetime) -> int:
    """Bits of the hours of one UTC day that `[first, end)` covers (end may be the next midnight)."""
    start_h = first.hour
    end_h = 24 if end.date() > first.date() else max(end.hour + (1 if end.minute or end.second else 0), 1)
    return sum(1 << h for h in range(start_h, end_h))


def visitor_day_mask(p: Params, period: Period) -> str:
    """The `hours` bits of `visitor_days` a row needs to fall in the period (partial first/last day)."""
    d0, d1 = period.start.date(), last_day(period)
    if d0 == d1:
        return p.mask(hour_mask(period.start, period.end))
    m0 = hour_mask(period.start, _midnight(d0) + timedelta(days=1))
    m1 = hour_mask(_midnight(d1), period.end)
    return f"multiIf(day = {p.day(d0)}, {p.mask(m0)}, day = {p.day(d1)}, {p.mask(m1)}, {ALL_HOURS})"


def day_range(p: Params, period: Period, column: str = "day") -> str:
    return f"{column} >= {p.day(period.start.date())} AND {column} <= {p.day(last_day(period))}"


def hours(p: Params, site: str, period: Period) -> str:
    """`stats_hourly` rows of the site in the period."""
    start, end = p.instant(period.start), p.instant(period.end)
    return f"site_id = {p.text(site)} AND hour >= {start} AND hour < {end}"


def visitor_days(p: Params, site: str, period: Period) -> str:
    """`visitor_days` rows of visitors seen in the period (their hours' bits in it)."""
    return (
        f"site_id = {p.text(site)} AND {day_range(p, period)} "
        f"AND bitAnd(hours, {visitor_day_mask(p, period)}) != 0"
    )


def sessions(p: Params, site: str, period: Period) -> str:
    """`sessions_view` rows of sessions that started in the period."""
    return (
        f"site_id = {p.text(site)} AND {day_range(p, period, 'session_date')} "
        f"AND start_time >= {p.instant(period.start)} AND start_time < {p.instant(period.end)}"
    )


def events(p: Params, site: str, start: datetime, end: datetime) -> str:
    """Non-bot `events` of the site in `[start, end)`, by its sorting key (site_id, toDate(event_time))."""
    d0, d1 = start.date(), (end - timedelta(microseconds=1)).date()
    return (
        f"site_id = {p.text(site)} "
        f"AND toDate(event_time) >= {p.day(d0)} AND toDate(event_time) <= {p.day(d1)} "
        f"AND event_time >= {p.instant(start)} AND event_time < {p.instant(end)} AND NOT is_bot"
    )


@dataclass(frozen=True)
class DaySplit:
    """A period as whole UTC days (`first`..`last`, inclusive) plus partial edge days (UTC ranges)."""

    whole: tuple[date, date] | None
    partial: tuple[tuple[datetime, datetime], ...]


def split_days(period: Period) -> DaySplit:
    """So a daily rollup answers the whole days and `events` the hours of an edge day."""
    start, end = period.start, period.end
    first_whole = start.date() if start == _midnight(start.date()) else start.date() + timedelta(days=1)
    end_midnight = _midnight(end.date())
    if _midnight(first_whole) > end_midnight:  # within one day, not from its midnight
        return DaySplit(None, ((start, end),))
    partial: list[tuple[datetime, datetime]] = []
    if start < _midnight(first_whole):
        partial.append((start, _midnight(first_whole)))
    if end > end_midnight:
        partial.append((end_midnight, end))
    whole = (first_whole, end.date() - timedelta(days=1)) if first_whole < end.date() else None
    return DaySplit(whole, tuple(partial))
