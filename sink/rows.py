"""Enriched event → ClickHouse columns: pure mappings, tested without ClickHouse.

ClickHouse columns are non-nullable where a neutral value exists (empty string, 0): it keeps
columns dense and queries free of `ifNull`. Only measurements where 0 would be a lie stay Nullable.
The mapping is strict: `check` refuses (RowError → the event goes to the DLQ with that reason) an
`event_id` that is not a UUID, a number that does not fit its column (instead of clamping it into a
plausible-looking wrong value) and an event time `event_time_sane` would refuse. Its limits are
`schemas.limits`, the ones ingest already enforced: a refusal here names an upstream bug. Events
carrying `filtered_reason` are never stored as events: they become `filtered_hits` rows.

Columns are built column by column (one comprehension per column over the whole batch) rather
than row by row: it is several times cheaper in Python, and clickhouse-connect inserts columns
as they are (`column_oriented=True`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from schemas.events import EnrichedEvent
from schemas.limits import PIXELS_MAX, UINT8_MAX, UINT32_MAX, event_time_problem
from sink.dedup import key_of

PERF_FIELDS = ("dns", "tls", "conn", "response", "render", "dom_load", "page_load", "ttfb")

# Optional text fields stored as '' when absent.
_TEXT = frozenset({
    "event_name", "hostname", "page_path", "page_url", "prev_path", "referrer", "referrer_host", "ref",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "country", "region", "city",
    "as_org", "timezone", "locale", "language", "browser", "browser_version", "os", "os_version",
    "visitor_id", "session_hint", "session_id", "bot_reason", "page_id",
})  # fmt: skip
# Unsigned columns and their largest value; absent numbers are stored as 0.
_UINT = {
    "asn": UINT32_MAX, "screen_width": PIXELS_MAX, "screen_height": PIXELS_MAX, "viewport_width": PIXELS_MAX,
    "viewport_height": PIXELS_MAX, "session_seq": UINT32_MAX, "schema_version": UINT8_MAX,
}  # fmt: skip
_ENUM = frozenset({"vendor", "event_type"})

COLUMNS: tuple[str, ...] = (
    "event_id", "site_id", "vendor", "event_type", "event_name", "event_time", "received_at",
    "hostname", "page_path", "page_url", "prev_path", "referrer", "referrer_host", "channel", "ref",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "country", "region", "city", "asn", "as_org", "timezone", "locale", "language",
    "device_type", "browser", "browser_version", "os", "os_version",
    "screen_width", "screen_height", "viewport_width", "viewport_height",
    "visitor_key", "visitor_id", "session_hint", "session_id", "is_new_session", "session_seq",
    "is_unique", "client_unique", "is_bot", "bot_reason", "is_late", "page_id", "properties",
    "value", "engagement_seconds", "is_bounce", *(f"perf_{p}" for p in PERF_FIELDS),
    "schema_version", "kafka_partition", "kafka_offset",
)  # fmt: skip

FILTERED_COLUMNS: tuple[str, ...] = ("event_id", "site_id", "vendor", "event_time", "reason")

# `session_versions` (migration 0008): the session as of an event, from its SessionSnapshot.
SESSION_COLUMNS: tuple[str, ...] = (
    "site_id", "session_id", "visitor_key", "version", "started", "last_seen", "pageviews",
    "entry_page", "exit_page", "referrer_host", "channel", "utm_source", "utm_medium", "utm_campaign",
    "country", "region", "city", "device_type", "browser", "os",
)  # fmt: skip
_SNAPSHOT_TEXT = (
    "entry_page", "exit_page", "referrer_host", "channel", "utm_source", "utm_medium", "utm_campaign",
    "country", "region", "city", "device_type", "browser", "os",
)  # fmt: skip


class RowError(ValueError):
    """The event cannot become a row of its table; the message names the column."""


class Record(NamedTuple):
    """One checked event and where it was read: what the writers turn into columns."""

    event: EnrichedEvent
    event_id: int  # the UUID as a 128-bit integer, as clickhouse-connect writes it
    partition: int
    offset: int


def check(e: EnrichedEvent, partition: int, offset: int) -> Record:
    """Refuse what ClickHouse would store wrongly; the Record is safe to turn into columns."""
    uid = key_of(e.event_id)
    if uid is None:
        raise RowError(f"event_id={e.event_id[:64]!r} is not a UUID")
    for name, limit in _UINT.items():
        v = getattr(e, name)
        if v is not None and not 0 <= v <= limit:
            raise RowError(f"{name}={v} does not fit the column (0..{limit})")
    if e.session is not None and e.session.pageviews > UINT32_MAX:
        raise RowError(f"session.pageviews={e.session.pageviews} does not fit the column (0..{UINT32_MAX})")
    problem = event_time_problem(e.event_time, e.received_at)  # `event_time_sane`
    if problem is not None:
        raise RowError(
            f"event_time={e.event_time.isoformat()} {problem} (received {e.received_at.isoformat()})"
        )
    return Record(e, uid, partition, offset)


_SPECIAL = ("event_id", "kafka_partition", "kafka_offset")
_FIELDS = tuple(n for n in COLUMNS if not n.startswith("perf_") and n not in _SPECIAL)
_GET_FIELDS = itemgetter(*_FIELDS)


def _fix(name: str, values: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    if name in _TEXT:
        return [v or "" for v in values]
    if name in _UINT:
        return [v or 0 for v in values]
    if name in _ENUM:
        return [v.value for v in values]
    return values


def event_columns(records: list[Record]) -> list[Sequence[Any]]:
    """The `events` columns (in COLUMNS order) for a list of checked records.

    Field values are read from each model's `__dict__` with one itemgetter call per row and
    transposed with zip: C loops, so only the columns that need a fix-up cost a Python loop.
    """
    if not records:
        return [[] for _ in COLUMNS]
    events = [r.event for r in records]
    by_name: dict[str, Sequence[Any]] = {
        name: _fix(name, values)
        for name, values in zip(
            _FIELDS, zip(*map(_GET_FIELDS, (e.__dict__ for e in events)), strict=True), strict=True
        )
    }
    perf = [e.perf for e in events]
    for field in PERF_FIELDS:
        by_name[f"perf_{field}"] = [getattr(p, field) if p is not None else None for p in perf]
    by_name["event_id"] = [r.event_id for r in records]
    by_name["kafka_partition"] = [r.partition for r in records]
    by_name["kafka_offset"] = [r.offset for r in records]
    return [by_name[name] for name in COLUMNS]


def filtered_columns(records: list[Record]) -> list[Sequence[Any]]:
    events = [r.event for r in records]
    return [
        [r.event_id for r in records],
        [e.site_id for e in events],
        [e.vendor.value for e in events],
        [e.event_time for e in events],
        [e.filtered_reason or "unknown" for e in events],
    ]


def latest_sessions(records: list[Record]) -> list[Record]:
    """Per session, the record of its latest version (highest `session_seq`) among the non-bot
    events that carry a session: the rows `sessions` keeps. Ties keep the first (deterministic,
    so a replayed batch yields the same rows)."""
    best: dict[tuple[str, str], Record] = {}
    for r in records:
        e = r.event
        if e.is_bot or e.session is None or not e.session_id:
            continue
        k = (e.site_id, e.session_id)
        kept = best.get(k)
        if kept is None or e.session_seq > kept.event.session_seq:
            best[k] = r
    return list(best.values())


def session_columns(records: list[Record]) -> list[Sequence[Any]]:
    """The `session_versions` columns (SESSION_COLUMNS order) of records that carry a session."""
    events = [r.event for r in records]
    snaps = [e.session for e in events]
    if any(s is None for s in snaps):
        raise ValueError("session_columns needs events that carry a session")
    cols: list[Sequence[Any]] = [
        [e.site_id for e in events],
        [e.session_id or "" for e in events],
        [e.visitor_key for e in events],
        [e.session_seq for e in events],
        [s.started for s in snaps],  # type: ignore[union-attr]
        [s.last_seen for s in snaps],  # type: ignore[union-attr]
        [s.pageviews for s in snaps],  # type: ignore[union-attr]
    ]
    cols += [[getattr(s, name) or "" for s in snaps] for name in _SNAPSHOT_TEXT]
    return cols
