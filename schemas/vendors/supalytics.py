"""Supalytics server-side event (`POST /v1/events`), per its "Events (Write)" doc."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.events import CanonicalEvent, EventType, Vendor
from schemas.vendors.context import HitContext

EVENT_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
MAX_KEYS = 10
MAX_VALUE_CHARS = 255

MetadataValue = str | bool | int | float


def _as_text(v: MetadataValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else repr(v) if isinstance(v, float) else str(v)


class SupalyticsEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    name: str = Field(description="Lowercase letters, numbers, underscores, hyphens; at most 64.")
    visitor_id: str | None = Field(default=None, max_length=256, description="Visitor ID for attribution.")
    metadata: dict[str, MetadataValue] | None = Field(
        default=None, description="At most 10 keys; values string, number or boolean, at most 255 chars."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not EVENT_NAME.match(v):
            raise ValueError("name must match ^[a-z0-9_-]{1,64}$")
        return v

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, v: dict[str, MetadataValue] | None) -> dict[str, MetadataValue] | None:
        if v is None:
            return v
        if len(v) > MAX_KEYS:
            raise ValueError(f"metadata may have at most {MAX_KEYS} keys")
        for key, value in v.items():
            if len(key) > MAX_VALUE_CHARS:
                raise ValueError(f"metadata keys may be at most {MAX_VALUE_CHARS} characters")
            if len(_as_text(value)) > MAX_VALUE_CHARS:
                raise ValueError(f"metadata.{key[:64]} is longer than {MAX_VALUE_CHARS} characters")
        return v

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        return ctx.event(
            Vendor.SUPALYTICS,
            EventType.CUSTOM,
            event_name=self.name,
            visitor_id=self.visitor_id or None,
            properties={k: _as_text(v) for k, v in (self.metadata or {}).items()},
        )
