"""Every example query in docs/analytics.md runs as written against a loaded database."""

from __future__ import annotations

import re

import pytest
from clickhouse_connect.driver.client import Client

from bench.sink_data import events
from common.settings import REPO_ROOT
from tests.integration.sink.loading import load

pytestmark = pytest.mark.clickhouse

DOC = REPO_ROOT / "docs" / "analytics.md"
QUERIES = re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.DOTALL)


def test_the_doc_has_at_least_fifteen_examples() -> None:
    assert len(QUERIES) >= 15


def test_every_example_query_runs_and_finds_rows(ch_client: Client) -> None:
    load(ch_client, events(6000, seed=21), "doc")
    failures = []
    for sql in QUERIES:
        try:
            rows = ch_client.query(sql).result_rows
        except Exception as exc:  # collect every failing example, not just the first
            failures.append(f"{sql}\n  -> {exc}")
            continue
        if not rows:
            failures.append(f"{sql}\n  -> no rows on the sample data")
    assert not failures, "\n\n".join(failures)
