"""Canonical event → enriched event (everything but per-visitor state): the pure core of the agent.

The client IP is decrypted here, used for geo and the visitor key, and dropped: it is never part
of the result, never logged and never stored in state. Session and uniqueness fields are added
afterwards by `processors.state`, which needs the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.crypto import DecryptError, IpCipher, derive_key
from processors.rules import bots, geo, referrer, urls, utm
from processors.rules.locale import normalize_language
from processors.rules.useragent import UserAgentParser
from processors.rules.visitor import visitor_key
from schemas.events import CanonicalEvent, EnrichedEvent

_CANONICAL_ONLY = {"user_agent", "ip_encrypted", "standalone_session"}


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

    def enrich(self, event: CanonicalEvent, salt: bytes) -> EnrichedEvent | PoisonEvent:
        """`salt` is the visitor salt of the event's UTC day (any bytes when `needs_salt` is False)."""
        try:
            ip = self.decrypt_ip(event)
        except DecryptError as exc:
            return PoisonEvent(str(exc))
        fields = event.model_dump(exclude=_CANONICAL_ONLY)
        fields.update(self._derived(event, ip))
        fields["visitor_key"] = visitor_key(
            hash_key=self._hash_key,
            salt=salt,
            site_id=event.site_id,
            ip=ip,
            user_agent=event.user_agent,
            visitor_id=event.visitor_id,
            session_hint=event.session_hint,
        )
        return EnrichedEvent(**fields)

    def _derived(self, event: CanonicalEvent, ip: str | None) -> dict[str, object]:
        ua = self.ua.parse(event.user_agent)
        where = self.geo.lookup(ip)
        sent = utm.Campaign(
            event.utm_source,
            event.utm_medium,
            event.utm_campaign,
            event.utm_term,
            event.utm_content,
            event.ref,
        )
        campaign = utm.merge(sent, utm.from_url(event.page_url or event.page_path))
        ref_host = referrer.referrer_host(event.referrer)
        reason = bots.bot_reason(event.user_agent, ua, where.asn)
        return {
            "page_url": urls.clean_url(event.page_url),
            "page_path": urls.clean_path(event.page_path),
            "prev_path": urls.clean_path(event.prev_path),
            "referrer": urls.clean_url(event.referrer)
            if event.referrer and "://" in event.referrer
            else ref_host,
            **{k: getattr(campaign, k) for k in utm.Campaign.__slots__},
            "browser": ua.browser,
            "browser_version": ua.browser_version,
            "os": ua.os,
            "os_version": ua.os_version,
            "device_type": "bot" if reason else ua.device_type,
            "country": where.country or geo.country_from_timezone(event.timezone),
            "region": where.region,
            "city": where.city,
            "asn": where.asn,
            "as_org": where.as_org,
            "language": normalize_language(event.locale),
            "referrer_host": ref_host,
            "channel": referrer.channel(ref_host, event.hostname, campaign),
            "is_bot": reason is not None,
            "bot_reason": reason,
        }
