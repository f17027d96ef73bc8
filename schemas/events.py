"""The canonical event and the enriched event.

A canonical event is what ingest publishes for every accepted hit, whatever the vendor dialect:
the vendor's analytics fields mapped onto one vocabulary (see docs/event-fields.md), plus the
identity of the hit (`event_id`, UUIDv7, the deduplication key end to end), when it happened and
when it arrived. The client IP is never a plain field: it travels encrypted (`ip_encrypted`) and
only the processors decrypt it.

An enriched event is what processors publish and the sink stores: the canonical fields without
the IP and raw user agent, plus what enrichment derived (device, geo, channel, visitor, session).
Both models are frozen so a stage cannot mutate what it was handed; use `model_copy(update=...)`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.limits import PERF_MS_MAX, PIXELS_MAX

SCHEMA_VERSION = 2  # 2: anonymous visitors (empty visitor_key), session snapshots, error events


class Vendor(StrEnum):
    SIMPLE_ANALYTICS = "simple_analytics"
    ZERO_TRUST = "zero_trust"
    SWETRIX = "swetrix"
    SUPALYTICS = "supalytics"
    HITKEEP = "hitkeep"


class EventType(StrEnum):
    PAGEVIEW = "pageview"
    CUSTOM = "custom"
    HEARTBEAT = "heartbeat"
    ENGAGEMENT = "engagement"
    ERROR = "error"  # a JavaScript error a tracker reported (Swetrix `/log/error`)


_Ms = Annotated[float, Field(ge=0, le=PERF_MS_MAX)]
# Screen and viewport sizes: every vendor's field is checked against the `events` columns' range
# (UInt16, `schemas.limits`) at ingest, so an accepted event never becomes a dead letter for its size.
Pixels = Annotated[int, Field(ge=0, le=PIXELS_MAX)]


class PerfMetrics(BaseModel):
    """Page-load timings in milliseconds (Swetrix `perf`); kept only when all eight are valid."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dns: _Ms
    tls: _Ms
    conn: _Ms
    response: _Ms
    render: _Ms
    dom_load: _Ms
    page_load: _Ms
    ttfb: _Ms


class _EventCore(BaseModel):
    """Fields shared by canonical and enriched events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    event_id: str = Field(description="UUIDv7 assigned at ingest; the deduplication key in ClickHouse.")
    vendor: Vendor
    site_id: str = Field(description="hitstream site id (from the sites file), not the vendor's id.")
    event_type: EventType
    event_name: str | None = Field(default=None, description="Custom event name; None for pageviews.")
    event_time: datetime = Field(
        description="When the hit happened (UTC): receive time, or HitKeep timestamp."
    )
    received_at: datetime = Field(description="When ingest accepted the hit (UTC).")

    page_url: str | None = Field(default=None, description="Absolute page URL when the vendor sends one.")
    page_path: str | None = Field(default=None, description="Page path (`/pricing`).")
    hostname: str | None = Field(default=None, description="Page hostname, lower-cased.")
    prev_path: str | None = Field(default=None, description="Previous page (Swetrix `prev`).")
    referrer: str | None = Field(default=None, description="Referrer URL as sent.")
    ref: str | None = Field(default=None, description="`?ref=` value (Simple Analytics `urlReferrer`).")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    locale: str | None = Field(default=None, description="Locale as sent (`en-US`), normalised later.")
    timezone: str | None = Field(default=None, description="IANA time zone as sent; geo fallback.")

    visitor_id: str | None = Field(default=None, description="Vendor-supplied visitor id (Supalytics).")
    session_hint: str | None = Field(
        default=None, description="Vendor-supplied session id (ZTA `sessionId`, HitKeep `session_id`)."
    )
    page_id: str | None = Field(default=None, description="Vendor page id (HitKeep `page_id`).")
    client_unique: bool | None = Field(
        default=None, description="Uniqueness the client declared (Simple Analytics `unique`)."
    )

    screen_width: Pixels | None = None
    screen_height: Pixels | None = None
    viewport_width: Pixels | None = None
    viewport_height: Pixels | None = None

    properties: dict[str, str] = Field(
        default_factory=dict, description="Custom properties (Supalytics metadata, ZTA category/label)."
    )
    value: float | None = Field(default=None, description="Numeric event value (ZTA `value`).")
    engagement_seconds: float | None = Field(default=None, description="ZTA `timeOnPage`.")
    is_bounce: bool | None = Field(default=None, description="ZTA `isBounce`.")
    perf: PerfMetrics | None = None
    filtered_reason: str | None = Field(
        default=None,
        description="Set when the vendor promises not to store this hit (bots on ZTA and Swetrix): "
        "it is counted per site, day and reason in `filtered_hits`, never stored as an event.",
    )

    @field_validator("event_time", "received_at")
    @classmethod
    def _must_be_aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return v


class CanonicalEvent(_EventCore):
    """One accepted hit, as ingest publishes it to the raw topic.

    `user_agent` and `ip_encrypted` are the *visitor's*, never those of a backend relaying the hit
    (docs/ingest.md says which request facts each vendor's are). An event with neither, and no
    `visitor_id` or `session_hint`, is anonymous: nothing identifies its visitor."""

    user_agent: str | None = Field(
        default=None,
        description="The visitor's user agent; None when the request does not carry it (a relaying "
        "backend's own is never used), empty when the visitor sent none.",
    )
    ip_encrypted: str | None = Field(
        default=None, description="AES-GCM ciphertext of the visitor's IP (never a relaying backend's)."
    )
    standalone_session: bool = Field(
        default=False,
        description="The vendor makes this hit a session of its own (HitKeep without session_id).",
    )


class SessionSnapshot(BaseModel):
    """The event's session once this event is counted in it: what the `sessions` table keeps, one
    row per session, the version with the highest `session_seq` winning. Its attribution (where
    the visit came from, on what device) is the session's first event's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    started: datetime
    last_seen: datetime
    pageviews: int = Field(ge=0)
    entry_page: str | None = Field(default=None, description="The session's first pageview's path.")
    exit_page: str | None = Field(default=None, description="Its latest pageview's path so far.")
    referrer_host: str | None = None
    channel: str = "direct"
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    device_type: str = "other"
    browser: str | None = None
    os: str | None = None


class EnrichedEvent(_EventCore):
    """One canonical event after enrichment, as the sink stores it. Carries no IP, no raw UA."""

    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device_type: str = "other"
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    region: str | None = None
    city: str | None = None
    asn: int | None = None
    as_org: str | None = None
    language: str | None = Field(default=None, description="Normalised BCP 47 tag (`en-GB`).")
    referrer_host: str | None = None
    channel: str = "direct"
    is_bot: bool = False
    bot_reason: str | None = None
    visitor_key: str = Field(description="Visitor id or keyed daily hash; never an IP.")
    session_id: str | None = None
    is_new_session: bool = False
    session_seq: int = 0
    session: SessionSnapshot | None = Field(
        default=None, description="The session as of this event (None: the event has no session)."
    )
    is_unique: bool = False
    is_late: bool = False
