"""Enriched event → ClickHouse row: a pure mapping, tested without ClickHouse.

ClickHouse columns are non-nullable where a neutral value exists (empty string, 0): it keeps
columns dense and queries free of `ifNull`. Only measurements where 0 would be a lie stay Nullable.
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
    "country", "region", "city", "asn", "as_org", "timezone", "language",
    "device_type", "browser", "browser_version", "os", "os_version",
    "screen_width", "screen_height", "viewport_width", "viewport_height",
    "visitor_key", "session_id", "is_new_session", "session_seq", "is_unique", "client_unique",
    "is_bot", "bot_reason", "is_late", "page_id", "properties", "value", "engagement_seconds",
    "is_bounce", *(f"perf_{p}" for p in PERF_FIELDS),
    "schema_version", "kafka_partition", "kafka_offset",
)  # fmt: skip


def _s(v: str | None) -> str:
    return v or ""


def _u16(v: int | None) -> int:
    return min(max(v or 0, 0), 65535)


def to_row(e: EnrichedEvent, partition: int, offset: int) -> list[Any]:
    perf = e.perf
    return [
        UUID(e.event_id), e.site_id, e.vendor.value, e.event_type.value, _s(e.event_name),
        e.event_time, e.received_at,
        _s(e.hostname), _s(e.page_path), _s(e.page_url), _s(e.prev_path), _s(e.referrer),
        _s(e.referrer_host), e.channel, _s(e.ref),
        _s(e.utm_source), _s(e.utm_medium), _s(e.utm_campaign), _s(e.utm_term), _s(e.utm_content),
        _s(e.country), _s(e.region), _s(e.city), e.asn or 0, _s(e.as_org), _s(e.timezone), _s(e.language),
        e.device_type, _s(e.browser), _s(e.browser_version), _s(e.os), _s(e.os_version),
        _u16(e.screen_width), _u16(e.screen_height), _u16(e.viewport_width), _u16(e.viewport_height),
        e.visitor_key, _s(e.session_id), e.is_new_session, e.session_seq, e.is_unique, e.client_unique,
        e.is_bot, _s(e.bot_reason), e.is_late, _s(e.page_id), dict(e.properties), e.value,
        e.engagement_seconds, e.is_bounce,
        *((getattr(perf, p) if perf else None) for p in PERF_FIELDS),
        e.schema_version, partition, offset,
    ]  # fmt: skip
