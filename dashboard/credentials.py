"""The two secrets the dashboard checks: the login password (scrypt) and its signed session cookie.

The password is stored only as `scrypt$<n>$<r>$<p>$<salt>$<hash>` (hashlib.scrypt, a random
16-byte salt, memory-hard so a stolen hash is slow to attack) and compared in constant time.
A session is a small JSON claim (who: the login or one share link; until when) signed with
HMAC-SHA256 under a key derived from the shared secret, so no session table is needed and a
changed byte, a foreign key or an expired claim are all refused the same way: `None`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
_MAXMEM = 64 * 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: a character outside the URL-safe alphabet is a ValueError, not silently dropped."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=_MAXMEM)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password_hash(encoded: str) -> None:
    """Raise ValueError unless `encoded` is a hash `hash_password` could have written."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        raise ValueError("not a dashboard password hash (expected scrypt$n$r$p$salt$hash)")
    n, r, p = (int(x) for x in parts[1:4])
    if n < 2**10 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16:
        raise ValueError("dashboard password hash has unusable scrypt parameters")
    if len(_unb64(parts[4])) < 8 or len(_unb64(parts[5])) < 16:
        raise ValueError("dashboard password hash has too short a salt or digest")


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` hashes to `encoded`; a malformed hash verifies nothing."""
    try:
        check_password_hash(encoded)
        _, n, r, p, salt, digest = encoded.split("$")
        want = _unb64(digest)
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(want),
            maxmem=_MAXMEM,
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


@dataclass(frozen=True)
class Session:
    """Who holds the cookie: the owner (`share_id` None) or one share link, limited to `site`."""

    expires: int  # Unix seconds
    share_id: str | None = None
    site: str | None = None


class CookieSigner:
    """Signs and checks session claims: `<payload>.<mac>`, both URL-safe base64."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, b"dashboard-session." + payload.encode(), hashlib.sha256).digest())

    def sign(self, session: Session) -> str:
        claim = {"exp": session.expires, "share": session.share_id, "site": session.site}
        payload = _b64(json.dumps(claim, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, cookie: str, now: datetime) -> Session | None:
        payload, _, mac = cookie.partition(".")
        if not mac or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):
            return None
        try:
            claim = json.loads(_unb64(payload))
            session = Session(int(claim["exp"]), claim.get("share"), claim.get("site"))
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires <= now.timestamp():
            return None
        if (session.share_id is None) != (session.site is None):
            return None
        return session
