"""What ingest knows about a hit besides its body; every vendor adapter receives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.events import CanonicalEvent, EventType, Vendor


@dataclass(frozen=True, slots=True)
class HitContext:
    """Identity and transport facts of one accepted request.

    `user_agent` and `ip_encrypted` are already resolved by the vendor's rules (header vs body,
    `X-Client-IP-Address`, trusted proxies) and the IP is already encrypted: adapters never see it.
    """

    site_id: str
    event_id: str
    received_at: datetime
    user_agent: str | None
    ip_encrypted: str | None

    def event(self, vendor: Vendor, event_type: EventType, **fields: Any) -> CanonicalEvent:
        """A canonical event with this hit's identity; `fields` are the vendor's own (they may
        override `event_time`, `user_agent` or `ip_encrypted` where the vendor's rules say so)."""
        identity: dict[str, Any] = {
            "event_id": self.event_id,
            "site_id": self.site_id,
            "event_time": self.received_at,
            "received_at": self.received_at,
            "user_agent": self.user_agent,
            "ip_encrypted": self.ip_encrypted,
        }
        return CanonicalEvent(vendor=vendor, event_type=event_type, **(identity | fields))
