"""Password hashing, session cookie signing (expiry, tampering, foreign keys) and share links."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard import share_links
from dashboard.auth import safe_next
from dashboard.credentials import (
    CookieSigner,
    Session,
    check_password_hash,
    hash_password,
    verify_password,
)
from dashboard.share_links import ShareLinkError, ShareLinkStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_a_password_verifies_against_its_own_hash_only() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("correct horse batterz", hashed)
    assert not verify_password("", hashed)


def test_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


@pytest.mark.parametrize(
    "bad", ["", "plain", "scrypt$1$8$1$c2FsdA$aGFzaA", "scrypt$16384$8$1$@@$@@", "bcrypt$16384$8$1$a$b"]
)
def test_a_malformed_hash_verifies_nothing_and_is_refused_as_a_setting(bad: str) -> None:
    assert not verify_password("anything", bad)
    with pytest.raises(ValueError):
        check_password_hash(bad)


def test_a_signed_session_round_trips_until_it_expires() -> None:
    signer = CookieSigner(KEY)
    session = Session(int((NOW + timedelta(hours=1)).timestamp()))
    cookie = signer.sign(session)
    assert signer.verify(cookie, NOW) == session
    assert signer.verify(cookie, NOW + timedelta(hours=1)) is None


def test_a_share_session_keeps_its_site() -> None:
    signer = CookieSigner(KEY)
    session = Session(int(NOW.timestamp()) + 60, share_id="ab12", site="example")
    assert signer.verify(signer.sign(session), NOW) == session


def test_a_tampered_or_foreign_cookie_is_refused() -> None:
    signer = CookieSigner(KEY)
    cookie = signer.sign(Session(int(NOW.timestamp()) + 60, share_id="ab12", site="example"))
    payload, mac = cookie.split(".")
    claim = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claim.update(share=None, site=None)  # try to widen a share session to the owner's
    forged = base64.urlsafe_b64encode(json.dumps(claim).encode()).rstrip(b"=").decode()
    assert signer.verify(f"{forged}.{mac}", NOW) is None
    assert CookieSigner(b"x" * 32).verify(cookie, NOW) is None
    for junk in ("", ".", "abc", f"{payload}.", f".{mac}", "é.é", cookie + "x"):
        assert signer.verify(junk, NOW) is None


def test_share_links_are_created_found_by_token_and_revoked(tmp_path: Path) -> None:
    path = tmp_path / "links.json"
    store = ShareLinkStore(path)
    link, token = share_links.create(path, "example", NOW)
    assert token not in path.read_text() and link.sha256 in path.read_text()
    assert store.by_token(token) == link
    assert store.by_id(link.id) == link
    assert store.by_token(token + "x") is None
    share_links.revoke(path, link.id)
    assert store.by_token(token) is None and store.by_id(link.id) is None
    with pytest.raises(ShareLinkError):
        share_links.revoke(path, link.id)


def test_a_share_links_file_broken_after_start_honours_no_link(tmp_path: Path) -> None:
    path = tmp_path / "links.json"
    _, token = share_links.create(path, "example", NOW)
    store = ShareLinkStore(path)
    assert store.by_token(token) is not None
    path.write_text("{not json")
    assert store.by_token(token) is None


@pytest.mark.parametrize(
    ("target", "want"),
    [("/sites/a?period=7d", "/sites/a?period=7d"), (None, "/"), ("//evil.example", "/"),
     ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("/a\r\nSet-Cookie: x", "/")],
)  # fmt: skip
def test_login_redirects_only_to_a_path_on_this_site(target: str | None, want: str) -> None:
    assert safe_next(target) == want
