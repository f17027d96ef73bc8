"""Swetrix Events API payloads (`POST /log`, `/log/custom`, `/log/hb`, `/log/error`), per the public
docs and, where they are silent, Swetrix's own server (`Swetrix/swetrix`, backend
`analytics/dto/*.dto.ts`; see docs/ingest.md):

- pageviews and custom events also carry `te`/`co` (UTM term and content), `qs` (the page's query
  string), `profileId` (the site's own visitor id) and `meta` (custom properties);
- the free-text fields have no validators on Swetrix's server, so numbers and booleans are taken
  as text here rather than refused;
- `meta`: an object of at most 100 keys with primitive values (numbers, booleans and null become
  text), keys and values 2000 characters in all;
- errors (`/log/error`, sent by Swetrix's trackers): `name` required (≤ 200), `message` ≤ 2000,
  `filename` ≤ 1000, `stackTrace` ≤ 7500, `lineno`/`colno` numbers.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from schemas.events import CanonicalEvent, EventType, PerfMetrics, Vendor
from schemas.vendors.context import HitContext
from schemas.vendors.urls import query_params

# Letter first; then letters, digits, underscores and dots; fewer than 64 characters in all.
EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,62}$")
META_MAX_KEYS = 100
META_MAX_CHARS = 2000


def _as_text(v: Any) -> Any:
    """Swetrix's server takes any JSON scalar in its free-text fields; keep it as text."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return v


def _text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


Text = Annotated[str | None, BeforeValidator(_as_text)]


def _meta(v: Any) -> dict[str, str] | None:
    """Swetrix's metadata rules, in its order: an object, ≤ 100 keys, primitive values (null and
    numbers become text), keys and values ≤ 2000 characters in all."""
    if v is None:
        return None
    if not isinstance(v, dict):
        raise ValueError("meta must be an object")
    if len(v) > META_MAX_KEYS:
        raise ValueError(f"Metadata object can't have more than {META_MAX_KEYS} keys")
    out: dict[str, str] = {}
    for key, value in v.items():
        if value is None:
            value = "null"
        if isinstance(value, dict | list):
            raise ValueError("All of metadata object values must be primitive JSON values")
        out[str(key)] = _as_text(value)
    if sum(len(k) + len(val) for k, val in out.items()) > META_MAX_CHARS:
        raise ValueError(
            "Metadata object can't have keys and values with total length more than "
            f"{META_MAX_CHARS} characters"
        )
    return out


Meta = Annotated[dict[str, str] | None, BeforeValidator(_meta)]


class _SwetrixBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True, allow_inf_nan=False)

    pid: str = Field(min_length=1, max_length=64)
    profileId: Text = _text(256)


class _Tracked(_SwetrixBase):
    """Fields pageviews and custom events share."""

    pg: Text = _text(2048)
    lc: Text = _text(64)
    tz: Text = _text(64)
    ref: Text = _text(2048)
    so: Text = _text(256)
    me: Text = _text(256)
    ca: Text = _text(256)
    te: Text = _text(256)
    co: Text = _text(256)
    qs: Text = _text(2048)
    meta: Meta = None
    unique: bool | None = None

    def _campaign(self) -> dict[str, str | None]:
        """`so`/`me`/`ca`/`te`/`co`, else the same parameters in the page's query string."""
        params = query_params("http://x/?" + self.qs) if self.qs else {}
        return {
            "utm_source": self.so or params.get("utm_source") or params.get("ref"),
            "utm_medium": self.me or params.get("utm_medium"),
            "utm_campaign": self.ca or params.get("utm_campaign"),
            "utm_term": self.te or params.get("utm_term"),
            "utm_content": self.co or params.get("utm_content"),
        }


class SwetrixPageview(_Tracked):
    prev: Text = _text(2048)
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
            **self._campaign(),
            locale=self.lc,
            timezone=self.tz,
            visitor_id=self.profileId or None,
            properties=self.meta or {},
            perf=self.perf_metrics(),
        )


class SwetrixCustomEvent(_Tracked):
    ev: str

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
            **self._campaign(),
            locale=self.lc,
            timezone=self.tz,
            visitor_id=self.profileId or None,
            properties=self.meta or {},
        )


class SwetrixHeartbeat(_SwetrixBase):
    """Swetrix validates heartbeats as pageviews; only `pid` (and `profileId`) matter."""

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        return ctx.event(Vendor.SWETRIX, EventType.HEARTBEAT, visitor_id=self.profileId or None)


class SwetrixError(_SwetrixBase):
    """A JavaScript error reported by Swetrix's tracker (`trackError`)."""

    name: str = Field(min_length=1, max_length=200)
    message: Text = _text(2000)
    lineno: float | None = None
    colno: float | None = None
    filename: Text = _text(1000)
    stackTrace: Text = _text(7500)
    pg: Text = _text(2048)
    lc: Text = _text(64)
    tz: Text = _text(64)
    meta: Meta = None

    def error_id(self) -> str:
        """Swetrix's grouping id: the same name, message, position and file are one error."""
        parts = (self.name, self.message, self.colno, self.lineno, self.filename)
        text = "".join("undefined" if p is None else _number(p) for p in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def to_canonical(self, ctx: HitContext) -> CanonicalEvent:
        details = {
            "error_id": self.error_id(),
            "message": self.message,
            "filename": self.filename,
            "lineno": _number(self.lineno) if self.lineno is not None else None,
            "colno": _number(self.colno) if self.colno is not None else None,
            "stack_trace": self.stackTrace,
        }
        return ctx.event(
            Vendor.SWETRIX,
            EventType.ERROR,
            event_name=self.name,
            page_path=self.pg,
            locale=self.lc,
            timezone=self.tz,
            visitor_id=self.profileId or None,
            properties={**(self.meta or {}), **{k: v for k, v in details.items() if v is not None}},
        )


def _number(v: str | float) -> str:
    """A number as JavaScript prints it (12, not 12.0), for Swetrix's error id."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
