"""Simple Analytics server-side payload (`POST /post`), per its "Server side tracking" doc."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.events import CanonicalEvent, EventType, Vendor
from schemas.limits import PIXELS_MAX
from schemas.vendors.context import HitContext
from schemas.vendors.urls import hostname, path_of, query_params, strip_url


class SimpleAnalyticsHit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    url: str = Field(max_length=4096, description="The current URL of the page.")
    ua: str | None = Field(default=None, max_length=1024, description="Used when no User-Agent header.")
    width: float | None = Field(default=None, ge=0, le=PIXELS_MAX, description="Viewport width (px).")
    unique: bool | None = Field(default=None, description="Stored as the client declares it.")
    timezone: str | None = Field(default=None, max_length=64)
    referrer: str | None = Field(default=None, max_length=4096)
    urlReferrer: str | None = Field(default=None, max_length=256, description="The `?ref=` value.")

    @field_validator("url")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if hostname(v) is None:
            raise ValueError("url must be an absolute http(s) URL")
        return v

    @property
    def host(self) -> str:
        return hostname(self.url) or ""

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        params = query_params(self.url)
        return ctx.event(
            Vendor.SIMPLE_ANALYTICS,
            EventType.PAGEVIEW,
            page_url=strip_url(self.url),
            page_path=path_of(self.url),
            hostname=self.host,
            referrer=self.referrer,
            ref=self.urlReferrer or params.get("ref"),
            utm_source=params.get("utm_source"),
            utm_medium=params.get("utm_medium"),
            utm_campaign=params.get("utm_campaign"),
            utm_term=params.get("utm_term"),
            utm_content=params.get("utm_content"),
            timezone=self.timezone,
            viewport_width=int(self.width) if self.width is not None else None,
            client_unique=self.unique,
        )
