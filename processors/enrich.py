"""Canonical event → enriched fields (everything but per-visitor state): the pure core of the hot path.

The visitor's IP is decrypted here, used for geo and the visitor key, and dropped: it is never
part of the result, never logged and never stored in state. Session and uniqueness fields are
added afterwards by `processors.state`, which needs the key's state.

The result is a plain dict with exactly the fields of `EnrichedEvent` (the contract the sink
validates), built straight from the canonical event's attributes and encoded once with orjson:
building and copying pydantic models per event cost more than every rule together (profile in
docs/benchmarks.md). `tests/unit/processors/test_batch.py` proves the dict validates as an
`EnrichedEvent` and matches the fields the models would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.crypto import DecryptError, IpCipher, derive_key
from processors.rules import bots, geo, referrer, urls, utm
from processors.rules.locale import normalize_language
from processors.rules.useragent import UserAgentParser
from processors.rules.visitor import visitor_key
from schemas.events import SCHEMA_VERSION, CanonicalEvent, EnrichedEvent

# Canonical fields that never travel on: the visitor's IP and user agent, and ingest's hints.
_CANONICAL_ONLY = frozenset({"user_agent", "ip_encrypted", "standalone_session"})
# The enriched contract's own defaults, for every field enrichment and state may leave unset.
_DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in EnrichedEvent.model_fields.items()
    if name not in CanonicalEvent.model_fields and not field.is_required()
}


def needs_salt(event: CanonicalEvent) -> bool:
    """Only a visitor known by IP and user agent is keyed with the day's salt."""
    return bool(event.ip_encrypted) and not event.visitor_id and not event.session_hint


@dataclass(frozen=True)
class PoisonEvent:
    """A message that cannot be enriched, with the reason it goes to the DLQ."""

    reason: str


class Enricher:
    def __init__(
        self, secret: bytes, ua_parser: UserAgentParser | None = None, geo_lookup: geo.GeoLookup | None = None
    ) -> None:
        self._cipher = IpCipher.from_secret(secret)
        self._hash_key = derive_key(secret, "hitstream/visitor-key/v2")
        self.ua = ua_parser or UserAgentParser()
        self.geo = geo_lookup or geo.GeoLookup()

    def decrypt_ip(self, event: CanonicalEvent) -> str | None:
        return self._cipher.decrypt(event.ip_encrypted) if event.ip_encrypted else None

    def fields(self, event: CanonicalEvent, salt: bytes) -> dict[str, Any] | PoisonEvent:
        """Every `EnrichedEvent` field but the session ones (left at their defaults). `salt` is
        the visitor salt of the event's UTC day (any bytes when `needs_salt` is False)."""
        try:
            ip = self.decrypt_ip(event)
        except DecryptError as exc:
            return PoisonEvent(str(exc))
        out = dict(event.__dict__)
        for name in _CANONICAL_ONLY:
            del out[name]
        out.update(_DEFAULTS)
        out["schema_version"] = SCHEMA_VERSION
        if event.perf is not None:
            out["perf"] = event.perf.__dict__
        self._derive(out, event, ip)
        out["visitor_key"] = visitor_key(
            hash_key=self._hash_key,
            salt=salt,
            site_id=event.site_id,
            ip=ip,
            user_agent=event.user_agent,
            visitor_id=event.visitor_id,
            session_hint=event.session_hint,
        )
        return out

    def enrich(self, event: CanonicalEvent, salt: bytes) -> EnrichedEvent | PoisonEvent:
        """The same as a validated model, without state (tests and tools; the hot path uses
        `fields`)."""
        fields = self.fields(event, salt)
        return fields if isinstance(fields, PoisonEvent) else EnrichedEvent.model_validate(fields)

    def _derive(self, out: dict[str, Any], event: CanonicalEvent, ip: str | None) -> None:
        ua = self.ua.parse(event.user_agent)
        where = self.geo.lookup(ip)
        campaign = utm.merge(
            utm.Campaign(
                event.utm_source,
                event.utm_medium,
                event.utm_campaign,
                event.utm_term,
                event.utm_content,
                event.ref,
            ),
            utm.from_url(event.page_url or event.page_path),
        )
        ref_host = referrer.referrer_host(event.referrer)
        reason = bots.bot_reason(event.user_agent, ua, where.asn)
        out["page_url"] = urls.clean_url(event.page_url)
        out["page_path"] = urls.clean_path(event.page_path)
        out["prev_path"] = urls.clean_path(event.prev_path)
        out["referrer"] = (
            urls.clean_url(event.referrer) if event.referrer and "://" in event.referrer else ref_host
        )
        out["utm_source"] = campaign.utm_source
        out["utm_medium"] = campaign.utm_medium
        out["utm_campaign"] = campaign.utm_campaign
        out["utm_term"] = campaign.utm_term
        out["utm_content"] = campaign.utm_content
        out["ref"] = campaign.ref
        out["browser"] = ua.browser
        out["browser_version"] = ua.browser_version
        out["os"] = ua.os
        out["os_version"] = ua.os_version
        out["device_type"] = "bot" if reason else ua.device_type
        out["country"] = where.country or geo.country_from_timezone(event.timezone)
        out["region"] = where.region
        out["city"] = where.city
        out["asn"] = where.asn
        out["as_org"] = where.as_org
        out["language"] = normalize_language(event.locale)
        out["referrer_host"] = ref_host
        out["channel"] = referrer.channel(ref_host, event.hostname, campaign)
        out["is_bot"] = reason is not None
        out["bot_reason"] = reason
