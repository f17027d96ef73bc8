"""Enriched event → ClickHouse row: pure mappings, tested without ClickHouse.

ClickHouse columns are non-nullable where a neutral value exists (empty string, 0): it keeps
columns dense and queries free of `ifNull`. Only measurements where 0 would be a lie stay Nullable.
The mapping is strict: a number that does not fit its column raises `RowError` (the event goes
to the DLQ with that reason) instead of being clamped into a plausible-looking wrong value.
Events carrying `filtered_reason` are never stored as events: they become `filtered_hits` rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from schemas.events import EnrichedEvent

PERF_FIELDS = ("dns", "tls", "conn", "response", "render", "dom_load", "page_load", "ttfb")

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

_U8, _U16, _U32 = 2**8 - 1, 2**16 - 1, 2**32 - 1


class RowError(ValueError):
    """The event cannot become a row of its table; the message names the column."""


def _s(v: str | None) -> str:
    return v or ""


def _uint(column: str, v: int | None, limit: int) -> int:
    if v is None:
        return 0
    if not 0 <= v <= limit:
        raise RowError(f"{column}={v} does not fit the column (0..{limit})")
    return v


def _uuid(v: str) -> UUID:
    try:
        return UUID(v)
    except ValueError:
        raise RowError(f"event_id={v[:64]!r} is not a UUID") from None


def to_row(e: EnrichedEvent, partition: int, offset: int) -> list[Any]:
    perf = e.perf
    return [
        _uuid(e.event_id), e.site_id, e.vendor.value, e.event_type.value, _s(e.event_name),
        e.event_time, e.received_at,
        _s(e.hostname), _s(e.page_path), _s(e.page_url), _s(e.prev_path), _s(e.referrer),
        _s(e.referrer_host), e.channel, _s(e.ref),
        _s(e.utm_source), _s(e.utm_medium), _s(e.utm_campaign), _s(e.utm_term), _s(e.utm_content),
        _s(e.country), _s(e.region), _s(e.city), _uint("asn", e.asn, _U32), _s(e.as_org),
        _s(e.timezone), _s(e.locale), _s(e.language),
        e.device_type, _s(e.browser), _s(e.browser_version), _s(e.os), _s(e.os_version),
        _uint("screen_width", e.screen_width, _U16), _uint("screen_height", e.screen_height, _U16),
        _uint("viewport_width", e.viewport_width, _U16), _uint("viewport_height", e.viewport_height, _U16),
        e.visitor_key, _s(e.visitor_id), _s(e.session_hint), _s(e.session_id), e.is_new_session,
        _uint("session_seq", e.session_seq, _U32),
        e.is_unique, e.client_unique, e.is_bot, _s(e.bot_reason), e.is_late, _s(e.page_id),
        e.properties, e.value, e.engagement_seconds, e.is_bounce,
        *((getattr(perf, p) if perf else None) for p in PERF_FIELDS),
        _uint("schema_version", e.schema_version, _U8), partition, offset,
    ]  # fmt: skip


def to_filtered_row(e: EnrichedEvent) -> list[Any]:
    return [_uuid(e.event_id), e.site_id, e.vendor.value, e.event_time, e.filtered_reason or "unknown"]
