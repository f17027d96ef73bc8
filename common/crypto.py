"""Keys derived from the shared secret, and the two uses ingest and processors share.

The client IP travels on the raw topic only as AES-GCM ciphertext (authenticated, so a tampered or
foreign message is rejected rather than misread); Kafka keys use a keyed BLAKE2 hash, because keys
are stored and a plain hash of an IPv4 address is trivially reversible.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class DecryptError(ValueError):
    """The ciphertext was not produced with this deployment's secret, or was altered."""


def derive_key(secret: bytes, purpose: str) -> bytes:
    """One 32-byte subkey per purpose, so no key is ever used for two jobs."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(secret)


@dataclass(frozen=True)
class IpCipher:
    """Encrypts the client IP for its trip over the raw topic; only processors decrypt it."""

    key: bytes
    _aead: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One cipher object for the process: building it costs more than one encryption.
        object.__setattr__(self, "_aead", AESGCM(self.key))

    @classmethod
    def from_secret(cls, secret: bytes) -> IpCipher:
        return cls(derive_key(secret, "hitstream/ip-encryption/v1"))

    def encrypt(self, ip: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, ip.encode(), b"hitstream-ip")
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], b"hitstream-ip")
        except (InvalidTag, ValueError) as exc:
            raise DecryptError("client IP ciphertext did not authenticate") from exc
        return plain.decode()


@dataclass(frozen=True)
class RoutingHasher:
    """Keyed hash of (IP, user agent) used as a Kafka routing key when the vendor sends no id."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> RoutingHasher:
        return cls(derive_key(secret, "hitstream/routing-key/v1"))

    def __call__(self, ip: str, user_agent: str) -> str:
        h = hashlib.blake2b(key=self.key, digest_size=12)
        h.update(ip.encode())
        h.update(b"\x00")
        h.update(user_agent.encode())
        return h.hexdigest()
