from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import sites_admin as admin
from ingest.sites import SiteRegistry, SitesFile, hash_token
from ingest.sites_cli import sites


def _run(path: Path, *args: str) -> str:
    result = CliRunner().invoke(sites, ["--file", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_token_shows_the_value_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "WWW.Shop.example", "--swetrix-pid", "P1", "--zta-site-id", "Z1")
    out = _run(f, "token-add", "shop", "--kind", "supalytics")
    key = out.strip().splitlines()[-1]
    assert key.startswith("sly_") and len(key) > 30
    assert key not in f.read_text() and hash_token(key) in f.read_text()
    reg = SiteRegistry(f)
    found = reg.by_token(key)
    assert found is not None and found[0].id == "shop" and found[1].kind == "supalytics"
    assert reg.by_hostname("shop.example") is not None
    assert "sly_" not in _run(f, "list")


def test_hitkeep_tokens_get_manage_data_by_default_and_can_be_revoked(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    token = _run(f, "token-add", "shop", "--kind", "hitkeep").strip().splitlines()[-1]
    found = SiteRegistry(f).by_token(token)
    assert found is not None and found[1].permissions == ("site.manage_data",)
    _run(f, "token-revoke", found[1].id)
    assert SiteRegistry(f).by_token(token) is None


def test_disable_enable_remove(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    _run(f, "disable", "shop")
    assert json.loads(f.read_text())["sites"][0]["active"] is False
    _run(f, "enable", "shop")
    assert json.loads(f.read_text())["sites"][0]["active"] is True
    _run(f, "remove", "shop")
    assert json.loads(f.read_text())["sites"] == []


def test_conflicts_are_refused() -> None:
    data = admin.add_site(SitesFile(), "a", ["a.example"], "P1", "Z1")
    for args in (
        ("a", ["b.example"], None, None),
        ("b", ["www.a.example"], None, None),
        ("b", [], "P1", None),
        ("b", [], None, "Z1"),
    ):
        with pytest.raises(admin.SitesAdminError):
            admin.add_site(data, *args)
    with pytest.raises(admin.SitesAdminError):
        admin.revoke_token(data, "nope")


def test_cli_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(sites, ["--file", str(tmp_path / "s.json"), "disable", "ghost"])
    assert result.exit_code == 1 and "no site 'ghost'" in result.output


KEY = "sly_" + "k" * 28  # an existing vendor key being migrated


def test_an_existing_key_is_imported_by_value_and_never_echoed(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    out = _run(f, "token-add", "shop", "--kind", "supalytics", "--value", KEY)
    assert KEY not in out and "imported" in out
    assert KEY not in f.read_text() and hash_token(KEY) in f.read_text()
    found = SiteRegistry(f).by_token(KEY)
    assert found is not None and found[0].id == "shop" and found[1].id in out


def test_value_dash_reads_the_key_from_stdin(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    args = ["--file", str(f), "token-add", "shop", "--kind", "hitkeep", "--value", "-"]
    result = CliRunner().invoke(sites, args, input="hk_imported-from-vendor\n")
    assert result.exit_code == 0, result.output
    assert "hk_imported-from-vendor" not in result.output
    found = SiteRegistry(f).by_token("hk_imported-from-vendor")
    assert found is not None and found[1].permissions == ("site.manage_data",)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("supalytics", "k" * 32, "must start with 'sly_'"),
        ("supalytics", "sly_short", "at least 16 characters"),
        ("hitkeep", "hk_short", "at least 16 characters"),
        ("hitkeep", "hk_with a space inside", "without whitespace"),
        ("hitkeep", "hk_two\nlines-of-token", "without whitespace"),
        ("hitkeep", "hk_tab\there-and-more", "without whitespace"),
    ],
)
def test_imported_values_the_ingest_could_not_match_are_refused(kind: str, value: str, message: str) -> None:
    data = admin.add_site(SitesFile(), "shop", ["shop.example"])
    with pytest.raises(admin.SitesAdminError, match=message):
        admin.add_token(data, "shop", kind, value=value)  # type: ignore[arg-type]


def test_a_value_already_stored_is_refused_even_for_another_site(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    _run(f, "add", "blog", "--domain", "blog.example")
    _run(f, "token-add", "shop", "--kind", "supalytics", "--value", KEY)
    before = f.read_text()
    args = ["--file", str(f), "token-add", "blog", "--kind", "supalytics", "--value", "-"]
    result = CliRunner().invoke(sites, args, input=KEY)
    assert result.exit_code == 1 and "already stored" in result.output and "'shop'" in result.output
    assert KEY not in result.output and f.read_text() == before


def test_refusals_from_the_cli_do_not_echo_the_value(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _run(f, "add", "shop", "--domain", "shop.example")
    args = ["--file", str(f), "token-add", "shop", "--kind", "supalytics", "--value", "vendorkey_0123456789"]
    result = CliRunner().invoke(sites, args)
    assert result.exit_code == 1 and "sly_" in result.output and "vendorkey_0123456789" not in result.output
