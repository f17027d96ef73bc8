"""The visitor key: the vendor's id when it sends one, else a keyed hash of today's salt, the site,
the IP and the user agent.

The hash key comes from the deployment secret and the salt is random per UTC day (see
`processors.salts`); once a day's salt is destroyed, nobody (the operator included) can
recompute that day's keys from an IP, so keys cannot be joined across days or reversed.
"""

from __future__ import annotations

import hashlib

EXPIRED_PREFIX = "x:"


def visitor_key(
    *,
    hash_key: bytes,
    salt: bytes | None,
    site_id: str,
    ip: str | None,
    user_agent: str | None,
    visitor_id: str | None = None,
    session_hint: str | None = None,
    event_id: str = "",
) -> str:
    """`v:<id>` / `s:<id>` for vendor ids; 32 hex chars of keyed BLAKE2b otherwise.

    Without a salt (the event's day is older than the salts we keep) the key is unique to the
    event (`x:` prefix): it counts as its own visitor rather than being joined to anyone.
    """
    if visitor_id:
        return f"v:{visitor_id}"
    if session_hint:
        return f"s:{session_hint}"
    h = hashlib.blake2b(key=hash_key, digest_size=16)
    if salt is None:
        h.update(event_id.encode())
        return EXPIRED_PREFIX + h.hexdigest()
    for part in (salt, site_id.encode(), (ip or "").encode(), (user_agent or "").encode()):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.hexdigest()
