"""Zero Trust Analytics track payload (`POST /api/track`), per its "Track Endpoint" doc, plus the
fields its own tracker script sends that matter for analytics (`url`, `device`, `properties`).
The tracker's client `timestamp` is ignored: ZTA's server stores its own receive time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import CanonicalEvent, EventType, Pixels, Vendor
from schemas.limits import ENGAGEMENT_SECONDS_MAX
from schemas.vendors.context import HitContext
from schemas.vendors.urls import hostname, strip_url

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


MAX_PROPERTIES = 20
MAX_VALUE_CHARS = 255


class ZtaDevice(BaseModel):
    """The tracker's `device` object: sizes and language (its browser/OS guesses are not used;
    the processors parse the user agent)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    screenWidth: Pixels | None = None
    screenHeight: Pixels | None = None
    viewportWidth: Pixels | None = None
    viewportHeight: Pixels | None = None
    language: str | None = Field(default=None, max_length=64)


def _text(value: str | int | float | bool) -> str:
    return (str(value).lower() if isinstance(value, bool) else str(value))[:MAX_VALUE_CHARS]


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
    timeOnPage: float | None = Field(default=None, ge=0, le=ENGAGEMENT_SECONDS_MAX)
    isBounce: bool | None = None
    url: str | None = Field(default=None, max_length=4096, description="Page URL (the tracker sends it).")
    device: ZtaDevice | None = None
    properties: dict[str, str | int | float | bool | None] | None = Field(
        default=None, description="Custom event properties (the tracker's `ZTA.track(name, props)`)."
    )

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        utm = self.utm or ZtaUtm()
        device = self.device or ZtaDevice()
        props = {k: v for k, v in (("category", self.category), ("label", self.label)) if v is not None}
        for key, value in list((self.properties or {}).items())[:MAX_PROPERTIES]:
            if value is not None:
                props.setdefault(key[:64], _text(value))
        host = hostname(self.url) if self.url else None
        page_url = strip_url(self.url) if self.url and host else None
        return ctx.event(
            Vendor.ZERO_TRUST,
            _TYPES[self.type],
            event_name=self.action if self.type == "event" else None,
            page_path=self.path,
            page_url=page_url,
            hostname=host,
            screen_width=device.screenWidth,
            screen_height=device.screenHeight,
            viewport_width=device.viewportWidth,
            viewport_height=device.viewportHeight,
            locale=device.language,
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
