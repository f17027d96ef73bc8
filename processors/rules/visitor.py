"""The visitor key: the vendor's id when it sends one, else a keyed hash of the day's salt, the
site, the visitor's IP and user agent, else nobody.

The hash key comes from the deployment secret and the salt is random per UTC day (see
`processors.salts`); once a day's salt is destroyed, nobody (the operator included) can
recompute that day's keys from an IP, so keys cannot be joined across days or reversed. Only the
visitor's own IP is ever hashed: an event whose request did not carry it (a backend relaying the
hit) is anonymous, with an empty key, rather than merged with everyone sharing its user agent.
"""

from __future__ import annotations

import hashlib

ANONYMOUS = ""


def visitor_key(
    *,
    hash_key: bytes,
    salt: bytes,
    site_id: str,
    ip: str | None,
    user_agent: str | None,
    visitor_id: str | None = None,
    session_hint: str | None = None,
) -> str:
    """`v:<id>` / `s:<id>` for vendor ids; 32 hex chars of keyed BLAKE2b of the visitor's IP and
    user agent; `ANONYMOUS` ("") when nothing identifies the visitor."""
    if visitor_id:
        return f"v:{visitor_id}"
    if session_hint:
        return f"s:{session_hint}"
    if not ip:
        return ANONYMOUS
    h = hashlib.blake2b(key=hash_key, digest_size=16)
    for part in (salt, site_id.encode(), ip.encode(), (user_agent or "").encode()):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.hexdigest()
