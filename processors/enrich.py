"""Canonical event → enriched event: the pure core the agent calls for every message.

The client IP is decrypted here, used for the visitor key, and dropped: it is never part of the
result, never logged and never stored in state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hitstream.crypto import DecryptError, IpCipher, derive_key
from schemas.events import CanonicalEvent, EnrichedEvent

_CANONICAL_ONLY = {"user_agent", "ip_encrypted"}


@dataclass(frozen=True)
class PoisonEvent:
    """A message that cannot be enriched, with the reason it goes to the DLQ."""

    reason: str


class Enricher:
    def __init__(self, secret: bytes) -> None:
        self._cipher = IpCipher.from_secret(secret)
        self._visitor_key = derive_key(secret, "hitstream/visitor-key/v1")

    def visitor_key(self, event: CanonicalEvent, ip: str | None) -> str:
        """The vendor's visitor or session id when sent, else a keyed hash of (day, site, IP, UA)."""
        if event.visitor_id:
            return f"v:{event.visitor_id}"
        if event.session_hint:
            return f"s:{event.session_hint}"
        h = hashlib.blake2b(key=self._visitor_key, digest_size=16)
        for part in (event.event_time.date().isoformat(), event.site_id, ip or "", event.user_agent or ""):
            h.update(part.encode())
            h.update(b"\x00")
        return h.hexdigest()

    def enrich(self, event: CanonicalEvent) -> EnrichedEvent | PoisonEvent:
        ip: str | None = None
        if event.ip_encrypted:
            try:
                ip = self._cipher.decrypt(event.ip_encrypted)
            except DecryptError as exc:
                return PoisonEvent(str(exc))
        fields = event.model_dump(exclude=_CANONICAL_ONLY)
        return EnrichedEvent(**fields, visitor_key=self.visitor_key(event, ip))
