"""Swetrix Events API payloads (`POST /log`, `/log/custom`, `/log/hb`), per the public docs."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.events import CanonicalEvent, EventType, PerfMetrics, Vendor
from schemas.vendors.context import HitContext

# Letter first; then letters, digits, underscores and dots; fewer than 64 characters in all.
EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,62}$")


class _SwetrixBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    pid: str = Field(min_length=1, max_length=64)


class SwetrixPageview(_SwetrixBase):
    tz: str | None = Field(default=None, max_length=64)
    pg: str | None = Field(default=None, max_length=2048)
    prev: str | None = Field(default=None, max_length=2048)
    lc: str | None = Field(default=None, max_length=64)
    ref: str | None = Field(default=None, max_length=2048)
    so: str | None = Field(default=None, max_length=256)
    me: str | None = Field(default=None, max_length=256)
    ca: str | None = Field(default=None, max_length=256)
    unique: bool | None = None
    perf: dict[str, Any] | None = None

    def perf_metrics(self) -> PerfMetrics | None:
        """All eight metrics present and each 0–300000 ms, or nothing: partial timings mislead."""
        if not self.perf:
            return None
        try:
            return PerfMetrics.model_validate(self.perf)
        except ValidationError:
            return None

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        return ctx.event(
            Vendor.SWETRIX,
            EventType.PAGEVIEW,
            page_path=self.pg,
            prev_path=self.prev,
            referrer=self.ref,
            utm_source=self.so,
            utm_medium=self.me,
            utm_campaign=self.ca,
            locale=self.lc,
            timezone=self.tz,
            perf=self.perf_metrics(),
        )


class SwetrixCustomEvent(_SwetrixBase):
    ev: str
    pg: str | None = Field(default=None, max_length=2048)
    lc: str | None = Field(default=None, max_length=64)
    ref: str | None = Field(default=None, max_length=2048)
    so: str | None = Field(default=None, max_length=256)
    me: str | None = Field(default=None, max_length=256)
    ca: str | None = Field(default=None, max_length=256)
    unique: bool | None = None

    @field_validator("ev")
    @classmethod
    def _event_name(cls, v: str) -> str:
        if not EVENT_NAME.match(v):
            raise ValueError(
                "ev must start with an English letter, contain only letters, numbers, underscores "
                "and dots, and be fewer than 64 characters"
            )
        return v

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        return ctx.event(
            Vendor.SWETRIX,
            EventType.CUSTOM,
            event_name=self.ev,
            page_path=self.pg,
            referrer=self.ref,
            utm_source=self.so,
            utm_medium=self.me,
            utm_campaign=self.ca,
            locale=self.lc,
        )


class SwetrixHeartbeat(_SwetrixBase):
    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        return ctx.event(
            Vendor.SWETRIX,
            EventType.HEARTBEAT,
        )
