from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.sites import SiteRegistry, hash_token, normalise_host


def _write(path: Path, sites: list[dict[str, object]]) -> None:
    path.write_text(json.dumps({"sites": sites}))


def test_lookups_by_vendor_id_host_and_token(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _write(
        f,
        [
            {
                "id": "a",
                "domains": ["Example.com"],
                "swetrix_pid": "P1",
                "zta_site_id": "Z1",
                "tokens": [
                    {
                        "id": "t1",
                        "kind": "hitkeep",
                        "sha256": hash_token("secret"),
                        "permissions": ["site.manage_data"],
                    }
                ],
            }
        ],
    )
    reg = SiteRegistry(f)
    assert reg.by_swetrix_pid("P1").id == "a"  # type: ignore[union-attr]
    assert reg.by_zta_site_id("Z1").id == "a"  # type: ignore[union-attr]
    assert reg.by_hostname("WWW.example.com").id == "a"  # type: ignore[union-attr]
    found = reg.by_token("secret")
    assert found is not None and found[1].id == "t1"
    assert reg.by_token("wrong") is None
    assert reg.by_swetrix_pid("nope") is None


def test_missing_file_means_no_sites(tmp_path: Path) -> None:
    assert SiteRegistry(tmp_path / "absent.json").sites == ()


def test_file_changes_apply_without_restart(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _write(f, [{"id": "a", "domains": [], "swetrix_pid": "P1"}])
    reg = SiteRegistry(f, check_interval_s=0)
    assert reg.by_swetrix_pid("P2") is None
    _write(f, [{"id": "b", "domains": [], "swetrix_pid": "P2"}])
    os.utime(f, (1, 1))  # a distinct mtime even within the filesystem's resolution
    assert reg.by_swetrix_pid("P2").id == "b"  # type: ignore[union-attr]


def test_a_file_broken_after_start_keeps_the_sites_read_before(tmp_path: Path) -> None:
    f = tmp_path / "sites.json"
    _write(f, [{"id": "a", "domains": [], "swetrix_pid": "P1"}])
    reg = SiteRegistry(f, check_interval_s=0)
    f.write_text('{"sites": [{"id": "b", "dom')  # an editor's half-saved file
    os.utime(f, (1, 1))
    assert reg.by_swetrix_pid("P1").id == "a"  # type: ignore[union-attr]
    _write(f, [{"id": "b", "domains": [], "swetrix_pid": "P2"}])
    os.utime(f, (2, 2))
    assert reg.by_swetrix_pid("P2").id == "b"  # type: ignore[union-attr]
    f.write_text("not json")
    with pytest.raises(ValidationError):  # at start-up a broken file stops the service
        SiteRegistry(f)


def test_normalise_host() -> None:
    assert normalise_host("WWW.Example.COM.") == "example.com"
    assert normalise_host("blog.example.com") == "blog.example.com"
