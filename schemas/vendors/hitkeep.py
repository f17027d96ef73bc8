"""HitKeep server-side pageview (`POST /api/ingest/server/pageview`), per its REST API page.

`timestamp` is read as HitKeep's server reads it (`PascaleBeier/hitkeep`,
`internal/server/ingest/handlers.go`, `resolveServerIngestContext`): surrounding spaces trimmed,
then Go's `time.Parse(time.RFC3339, …)`, so a date, a time with seconds, an optional fraction and
`Z` or a `±hh:mm` offset; anything else is its 400 "timestamp must be RFC3339". HitKeep sets no
window (any parsable time is replayed); hitstream stores only what `schemas.limits` allows (from
2000-01-01T00:00:00Z to a day after receipt) and answers the same 400, with the reason, outside it.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas.events import CanonicalEvent, EventType, Pixels, Vendor
from schemas.limits import event_time_problem
from schemas.vendors.context import HitContext
from schemas.vendors.urls import hostname, path_of, query_params

# Go's RFC 3339 layout, as `time.Parse` accepts it: upper-case T and Z, seconds required.
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


class HitKeepPageview(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    url: str = Field(max_length=4096, description="Absolute http(s) page URL; its hostname picks the site.")
    timestamp: AwareDatetime = Field(
        strict=False,
        description="RFC 3339 event time; historical times are allowed from 2000-01-01T00:00:00Z, "
        "future ones up to a day ahead.",
    )
    visitor_ip: str = Field(max_length=64, description="The visitor's IP (never stored in plain text).")
    user_agent: str = Field(max_length=1024, description="User agent of the original visitor request.")
    dnt: bool = Field(default=False, description="true: accepted (202) and dropped.")
    language: str | None = Field(default=None, max_length=64)
    referrer: str | None = Field(default=None, max_length=4096)
    session_id: UUID | None = Field(
        default=None, description="Visitor grouping key; omitted (or all zeros): a session of its own."
    )
    page_id: UUID | None = None
    screen_width: Pixels | None = None
    screen_height: Pixels | None = None
    viewport_width: Pixels | None = None
    viewport_height: Pixels | None = None

    @field_validator("url")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if hostname(v) is None:
            raise ValueError("url must be an absolute http or https URL")
        return v

    @field_validator("timestamp", mode="before")
    @classmethod
    def _rfc3339(cls, v: Any) -> Any:
        if not isinstance(v, str) or not RFC3339.fullmatch(v.strip()):
            raise ValueError("timestamp must be RFC3339")
        return v.strip()

    @field_validator("timestamp")
    @classmethod
    def _storable(cls, v: datetime) -> datetime:
        """Checked against now: ingest stamps `received_at` after parsing, so an event accepted
        here is within a day of its `received_at` too (what `event_time_sane` compares)."""
        problem = event_time_problem(v, datetime.now(UTC))
        if problem is not None:
            raise ValueError(problem)
        return v.astimezone(UTC)

    @field_validator("visitor_ip")
    @classmethod
    def _ip(cls, v: str) -> str:
        try:
            return str(ipaddress.ip_address(v.strip()))
        except ValueError:
            raise ValueError("visitor_ip must be a valid IP address") from None

    @field_validator("session_id")
    @classmethod
    def _zero_is_none(cls, v: UUID | None) -> UUID | None:
        return None if v is not None and v.int == 0 else v  # HitKeep treats the nil UUID as omitted

    @property
    def host(self) -> str:
        return hostname(self.url) or ""

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        params = query_params(self.url)
        hk_qr = params.get("hk_qr")
        return ctx.event(
            Vendor.HITKEEP,
            EventType.PAGEVIEW,
            event_time=self.timestamp,
            page_url=self.url,
            page_path=path_of(self.url),
            hostname=self.host,
            referrer=self.referrer,
            utm_source=params.get("utm_source"),
            utm_medium=params.get("utm_medium"),
            utm_campaign=params.get("utm_campaign"),
            utm_term=params.get("utm_term"),
            utm_content=params.get("utm_content"),
            locale=self.language,
            session_hint=str(self.session_id) if self.session_id else None,
            standalone_session=self.session_id is None,
            page_id=str(self.page_id) if self.page_id else None,
            screen_width=self.screen_width,
            screen_height=self.screen_height,
            viewport_width=self.viewport_width,
            viewport_height=self.viewport_height,
            properties={"hk_qr": hk_qr[:255]} if hk_qr else {},
        )
