"""Dashboard settings: defaults shared with ingest, the password file fallback, loopback rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.crypto import derive_key
from common.settings import SharedSettings
from dashboard.credentials import hash_password
from dashboard.server import RefuseToStart, check_bind
from dashboard.settings import DashboardSettings, is_loopback
from dashboard.share_links import create
from ingest.settings import IngestSettings


def _settings(tmp_path: Path, **kw: object) -> DashboardSettings:
    return DashboardSettings(shared=SharedSettings(state_dir=tmp_path), **kw)  # type: ignore[arg-type]


def test_the_sites_file_default_is_ingests(tmp_path: Path) -> None:
    shared = SharedSettings(state_dir=tmp_path)
    assert DashboardSettings(shared=shared).sites_path == IngestSettings(shared=shared).sites_path


def test_defaults_are_local(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert (s.host, s.port, s.loopback) == ("127.0.0.1", 8001, True)
    assert s.password_hash_value() is None
    assert s.share_links_path.parent == tmp_path
    assert s.reader_dsn == s.shared.clickhouse_reader_dsn


def test_the_session_key_is_derived_from_the_shared_secret(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert s.session_key == derive_key(s.shared.secret, "hitstream/dashboard-session/v1")
    assert s.session_key != s.shared.secret


def test_the_saved_password_file_is_read_when_the_variable_is_unset(tmp_path: Path) -> None:
    hashed = hash_password("a long password")
    s = _settings(tmp_path)
    s.password_path.write_text(hashed + "\n")
    assert s.password_hash_value() == hashed
    assert _settings(tmp_path, password_hash="scrypt$other").password_hash_value() == "scrypt$other"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("::", False), ("192.168.1.4", False), ("dashboard.example", False)],
)  # fmt: skip
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_bind_needs_a_password_or_a_share_link(tmp_path: Path) -> None:
    check_bind(_settings(tmp_path))  # loopback: open
    public = _settings(tmp_path, host="0.0.0.0")
    with pytest.raises(RefuseToStart, match="without authentication"):
        check_bind(public)
    with pytest.raises(RefuseToStart, match="unusable"):
        check_bind(_settings(tmp_path, host="0.0.0.0", password_hash="secret"))
    check_bind(_settings(tmp_path, host="0.0.0.0", password_hash=hash_password("a long password")))
    create(public.share_links_path, "example")
    check_bind(public)


def test_a_trusted_proxy_typo_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        _settings(tmp_path, trusted_proxies="10.0.0.0/8,not-an-ip")
    assert _settings(tmp_path, trusted_proxies="10.0.0.0/8, ::1").trusted_proxies == ("10.0.0.0/8", "::1")
