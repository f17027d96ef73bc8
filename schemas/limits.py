"""The validity contract: whatever ingest accepts, every later stage stores.

A value ingest answers 2xx for and ClickHouse then refuses is a broken promise: the client was
told the event was taken, and it sits in the dead-letter topic instead. So every limit a later
stage enforces is defined here, once, and used by all of them:

- the vendor models (`schemas.vendors`) refuse what is outside, with the vendor's 4xx;
- the canonical and enriched events (`schemas.events`) carry the same bounds in their types;
- the sink's row check (`sink.rows.check`) refuses the same values before ClickHouse would;
- the DDL (`sink/migrations`) holds the columns and constraints these numbers are read from:
  `event_time_sane` in 0001_events.sql is `EVENT_TIME_MIN` and `EVENT_TIME_MAX_AHEAD`, the
  `UInt16` size columns are `PIXELS_MAX`, the `Float32` timing columns hold `PERF_MS_MAX`.

tests/unit/test_limits.py walks every boundary (just inside, just outside) and reads the DDL to
prove the numbers match it; tests/integration/sink/test_contract.py stores an event at each
accepted boundary through ingest, the processors and the sink's real insert path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# `events.event_time_sane` (0001_events.sql): a clock far off makes every time-based aggregate
# lie. The floor also keeps the derived tables' `Date` columns (1970–2149) exact.
EVENT_TIME_MIN = datetime(2000, 1, 1, tzinfo=UTC)
EVENT_TIME_MAX_AHEAD = timedelta(days=1)  # event_time <= received_at + this

# Column ranges of `events` (0001_events.sql).
PIXELS_MAX = 2**16 - 1  # screen_* and viewport_*: UInt16
UINT32_MAX = 2**32 - 1  # asn, session_seq
UINT8_MAX = 2**8 - 1  # schema_version
PERF_MS_MAX = 300_000  # perf_*: Float32, milliseconds (Swetrix's own bound for a sane timing)
ENGAGEMENT_SECONDS_MAX = 7 * 86_400  # engagement_seconds (ZTA `timeOnPage`): a week on one page


def to_millis(t: datetime) -> datetime:
    """`t` as `DateTime64(3)` stores it: microseconds cut to milliseconds (ClickHouse truncates)."""
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def event_time_problem(event_time: datetime, received_at: datetime) -> str | None:
    """Why an event at `event_time`, received at `received_at`, cannot be stored; None if it can.

    Compared at the columns' millisecond precision, exactly as `event_time_sane` compares the
    stored values. Times too far from the epoch to convert to UTC are out of range too."""
    try:
        at, now = to_millis(event_time.astimezone(UTC)), to_millis(received_at.astimezone(UTC))
    except (OverflowError, ValueError):
        return "is out of range (years 2000 to 9999 in UTC)"
    if at < EVENT_TIME_MIN:
        return f"must not be before {EVENT_TIME_MIN:%Y-%m-%dT%H:%M:%SZ} (the earliest time stored)"
    if at > now + EVENT_TIME_MAX_AHEAD:
        return "must not be more than a day in the future"
    return None
