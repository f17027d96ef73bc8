from __future__ import annotations

from common.settings import REPO_ROOT
from hitstream.config_doc import render


def test_configuration_page_matches_the_code() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert page == render(), "docs/configuration.md is stale: run `./run settings > docs/configuration.md`"
