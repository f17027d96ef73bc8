from __future__ import annotations

from common.metrics import catalogue_markdown
from common.settings import REPO_ROOT


def test_operations_doc_lists_every_metric_as_the_catalogue_says() -> None:
    page = (REPO_ROOT / "docs" / "operations.md").read_text()
    assert catalogue_markdown() in page, (
        "docs/operations.md metric table is stale: regenerate it from common.metrics"
    )
