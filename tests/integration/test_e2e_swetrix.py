"""The walking skeleton: the Swetrix doc example, through Kafka and faust, into ClickHouse."""

from __future__ import annotations

import pytest

from tests.conftest import PipelineEnv
from tests.integration.pipeline import running_pipeline
from tests.support.services import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.clickhouse]

DOC_HEADERS = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; rv:109.0) Gecko/20100101 Firefox/116.0",
    "X-Client-IP-Address": "192.0.2.1",
}


def test_swetrix_doc_example_is_queryable_in_clickhouse(pipeline_env: PipelineEnv) -> None:
    with running_pipeline(pipeline_env) as p:
        status, body = p.post("/log", {"pid": "YOUR_PROJECT_ID", "lc": "en-US", "pg": "/"}, DOC_HEADERS)
        assert (status, body) == (201, b"{}")

        rows = wait_for(lambda: p.query("SELECT * FROM events"), 30, "the event in ClickHouse")
        assert len(rows) == 1
        row = rows[0]
        assert row["vendor"] == "swetrix"
        assert row["site_id"] == "example"
        assert row["event_type"] == "pageview"
        assert row["page_path"] == "/"
        assert row["visitor_key"]
        # The raw IP never reaches ClickHouse.
        assert "192.0.2.1" not in str(row)


def test_unknown_swetrix_project_is_rejected_and_not_stored(pipeline_env: PipelineEnv) -> None:
    with running_pipeline(pipeline_env) as p:
        status, body = p.post("/log", {"pid": "NOPE"}, DOC_HEADERS)
        assert status == 400
        assert b"The provided Project ID (pid) is incorrect" in body
