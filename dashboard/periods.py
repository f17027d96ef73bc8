"""Date ranges of the dashboard, resolved from the URL into UTC instants and a chart interval.

A period is pure data: `resolve` turns the `period`, `from` and `to` parameters and the current
time into a `Period`, and every query reads only its `start`, `end` (exclusive) and `interval`.
Periods that contain now end at the top of the next hour (the next minute for realtime), so
every period but realtime is whole hours and the hourly rollups answer it exactly; an hour
that has not happened yet holds no events. The previous period has the same length and ends
where the period starts, as docs/dashboard.md says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from dashboard.errors import BadParameter

Interval = Literal["minute", "hour", "day", "week", "month"]

PERIOD_KEYS: tuple[str, ...] = (
    "realtime", "today", "yesterday", "7d", "30d", "mtd", "last_month", "12mo", "custom",
)  # fmt: skip
DEFAULT_KEY = "7d"
CUSTOM_MAX_DAYS = 3 * 366  # `from` and `to` at most three years apart
_EARLIEST = date(2000, 1, 1)  # events before 2000 are refused at ingest and by ClickHouse
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LABELS = {
    "realtime": "Last 30 minutes", "today": "Today", "yesterday": "Yesterday", "7d": "Last 7 days",
    "30d": "Last 30 days", "mtd": "Month to date", "last_month": "Last month", "12mo": "Last 12 months",
}  # fmt: skip


@dataclass(frozen=True)
class Period:
    """A UTC range `[start, end)` and the interval its chart is drawn in."""

    key: str
    label: str
    start: datetime
    end: datetime
    interval: Interval

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        length = self.end - self.start
        return Period(self.key, f"Before {self.label[0].lower()}{self.label[1:]}", self.start - length,
                      self.start, self.interval)  # fmt: skip

    def buckets(self) -> list[datetime]:
        """Start of every interval bucket that meets the period, oldest first.

        Weeks start on Monday and months on the 1st (as ClickHouse's toMonday and
        toStartOfMonth), so the first bucket may start before the period does.
        """
        out: list[datetime] = []
        t = bucket_start(self.start, self.interval)
        while t < self.end:
            out.append(t)
            t = _next_bucket(t, self.interval)
        return out


def bucket_start(t: datetime, interval: Interval) -> datetime:
    """The start of the bucket that holds `t`."""
    if interval == "minute":
        return t.replace(second=0, microsecond=0)
    if interval == "hour":
        return t.replace(minute=0, second=0, microsecond=0)
    day = datetime.combine(t.date(), time(), UTC)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=t.weekday())
    return day.replace(day=1)


def _next_bucket(t: datetime, interval: Interval) -> datetime:
    if interval == "month":
        return _add_months(t, 1)
    step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
            "week": timedelta(weeks=1)}[interval]  # fmt: skip
    return t + step


def _add_months(t: datetime, months: int) -> datetime:
    """The 1st of the month `months` after `t`'s month (negative goes back)."""
    index = t.year * 12 + t.month - 1 + months
    return t.replace(year=index // 12, month=index % 12 + 1, day=1)


def interval_for(start: datetime, end: datetime) -> Interval:
    """The interval that fits a length: hour up to 2 days, day up to 3 months, week up to a year."""
    length = end - start
    if length <= timedelta(days=2):
        return "hour"
    if length <= timedelta(days=92):
        return "day"
    if length <= timedelta(days=366):
        return "week"
    return "month"


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


def _fixed(key: str, now: datetime) -> tuple[datetime, datetime]:
    """`[start, end)` of every key but realtime and custom."""
    today = _midnight(now.date())
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    first_of_month = today.replace(day=1)
    return {
        "today": (today, next_hour),
        "yesterday": (today - timedelta(days=1), today),
        "7d": (today - timedelta(days=6), next_hour),
        "30d": (today - timedelta(days=29), next_hour),
        "mtd": (first_of_month, next_hour),
        "last_month": (_add_months(first_of_month, -1), first_of_month),
        "12mo": (_add_months(first_of_month, -11), next_hour),
    }[key]


def _day(parameter: str, raw: str | None) -> date:
    if raw is None or not _DAY_RE.match(raw):
        raise BadParameter(parameter, f"{parameter} must be a day, YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(parameter, f"{parameter} is not a calendar day: {raw}") from None
    if day < _EARLIEST:
        raise BadParameter(parameter, f"{parameter} must be 2000-01-01 or later")
    return day


def _custom(from_: str | None, to: str | None) -> Period:
    first, last = _day("from", from_), _day("to", to)
    if last < first:
        raise BadParameter("to", "to must be on or after from")
    if (last - first).days > CUSTOM_MAX_DAYS:
        raise BadParameter("to", "from and to must be at most 3 years apart")
    if last >= date.max - timedelta(days=1):
        raise BadParameter("to", "to is too far in the future")
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    label = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    return Period("custom", label, start, end, interval_for(start, end))


def resolve(key: str | None, from_: str | None, to: str | None, now: datetime) -> Period:
    """The period the URL asks for at `now` (naive `now` is taken as UTC); `from`/`to` only for custom."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    key = DEFAULT_KEY if key is None or key == "" else key
    if key not in PERIOD_KEYS:
        raise BadParameter("period", f"period must be one of: {', '.join(PERIOD_KEYS)}")
    if key == "custom":
        return _custom(from_, to)
    if key == "realtime":
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return Period(key, _LABELS[key], end - timedelta(minutes=30), end, "minute")
    start, end = _fixed(key, now)
    interval: Interval = "month" if key == "12mo" else interval_for(start, end)
    return Period(key, _LABELS[key], start, end, interval)
