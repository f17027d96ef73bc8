"""What ingest knows about a hit besides its body; every vendor adapter receives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
