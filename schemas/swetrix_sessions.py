"""Contract between ingest and the processors for Swetrix's session rules.

Swetrix answers 403 for a repeated `unique: true` pageview (per session) or custom event (per
session and event name), and for a heartbeat with no live session; pageviews, custom events and
heartbeats keep a session alive for 30 minutes (and sessions end at 00:00 UTC). With several
ingest processes behind a load balancer, that decision needs state shared by all of them: it lives
in a changelog-backed faust table in the processors, keyed by the raw topic's Kafka key
(`site|visitor`), and ingest asks the worker that owns the key's partition over HTTP (faust routes
the request to the owner, which decides atomically).

    POST {processor_url}/swetrix/session/   body: SessionTouch   →   200 SessionVerdict
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SESSION_PATH = "/swetrix/session/"


class SessionTouch(BaseModel):
    """One Swetrix request, as far as the session rules care."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(description="The raw topic's Kafka key for this hit: `site|visitor`.")
    kind: Literal["pageview", "custom", "heartbeat", "error"]
    unique: bool = Field(default=False, description="The client sent `unique: true`.")
    event_name: str | None = Field(default=None, description="`ev` of a custom event.")
    at: datetime = Field(description="When ingest received the hit (UTC).")


class SessionVerdict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    accept: bool = Field(description="False: answer 403 and publish nothing.")
    reason: str | None = Field(default=None, description="Why not, for the 403 message.")
