from __future__ import annotations

import pytest

from common.crypto import DecryptError, IpCipher, RoutingHasher

SECRET = bytes(range(32))


def test_ip_roundtrip_and_ciphertext_is_not_the_ip() -> None:
    c = IpCipher.from_secret(SECRET)
    token = c.encrypt("192.0.2.1")
    assert "192.0.2.1" not in token
    assert c.decrypt(token) == "192.0.2.1"
    assert c.encrypt("192.0.2.1") != token  # fresh nonce each time


def test_ciphertext_from_another_secret_is_rejected() -> None:
    token = IpCipher.from_secret(bytes(32)).encrypt("2001:db8::1")
    with pytest.raises(DecryptError):
        IpCipher.from_secret(SECRET).decrypt(token)


def test_garbage_is_rejected_not_crashing() -> None:
    with pytest.raises(DecryptError):
        IpCipher.from_secret(SECRET).decrypt("not base64 at all!!")


def test_routing_hash_is_keyed_and_stable() -> None:
    h = RoutingHasher.from_secret(SECRET)
    assert h("192.0.2.1", "ua") == h("192.0.2.1", "ua")
    assert h("192.0.2.1", "ua") != RoutingHasher.from_secret(bytes(32))("192.0.2.1", "ua")
    assert h("192.0.2.1", "ua") != h("192.0.2.2", "ua")
