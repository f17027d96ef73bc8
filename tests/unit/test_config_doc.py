from __future__ import annotations

from hitstream.config_doc import render
from hitstream.settings import REPO_ROOT


def test_configuration_page_matches_the_code() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert page == render(), "docs/configuration.md is stale: run `./run settings > docs/configuration.md`"
