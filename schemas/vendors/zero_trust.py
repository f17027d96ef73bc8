"""Zero Trust Analytics track payload (`POST /api/track`), per its "Track Endpoint" doc."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import CanonicalEvent, EventType, Vendor
from schemas.vendors.context import HitContext

_TYPES: dict[str, EventType] = {
    "pageview": EventType.PAGEVIEW,
    "event": EventType.CUSTOM,
    "engagement": EventType.ENGAGEMENT,
    "heartbeat": EventType.HEARTBEAT,
}


class ZtaUtm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    source: str | None = Field(default=None, max_length=256)
    medium: str | None = Field(default=None, max_length=256)
    campaign: str | None = Field(default=None, max_length=256)
    term: str | None = Field(default=None, max_length=256)
    content: str | None = Field(default=None, max_length=256)


class ZtaTrack(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    type: Literal["pageview", "event", "engagement", "heartbeat"]
    siteId: str = Field(min_length=1, max_length=128)
    path: str = Field(default="/", max_length=2048, description="Page path (defaults to `/`).")
    referrer: str | None = Field(default=None, max_length=4096)
    utm: ZtaUtm | None = None
    action: str | None = Field(default=None, max_length=256, description="Event name (custom events).")
    category: str | None = Field(default=None, max_length=256)
    label: str | None = Field(default=None, max_length=256)
    value: float | None = None
    sessionId: str | None = Field(default=None, max_length=128)
    timeOnPage: float | None = Field(default=None, ge=0, le=86_400 * 7)
    isBounce: bool | None = None

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        utm = self.utm or ZtaUtm()
        props = {k: v for k, v in (("category", self.category), ("label", self.label)) if v is not None}
        return ctx.event(
            Vendor.ZERO_TRUST,
            _TYPES[self.type],
            event_name=self.action if self.type == "event" else None,
            page_path=self.path,
            referrer=self.referrer,
            utm_source=utm.source,
            utm_medium=utm.medium,
            utm_campaign=utm.campaign,
            utm_term=utm.term,
            utm_content=utm.content,
            session_hint=self.sessionId,
            properties=props,
            value=self.value,
            engagement_seconds=self.timeOnPage,
            is_bounce=self.isBounce,
        )
