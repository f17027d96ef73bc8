from __future__ import annotations

import pytest

from common.settings import SharedSettings
from hitstream.query import QueryFailed, run_query
from tests.support.services import free_port


def test_unreachable_clickhouse_is_a_clear_error() -> None:
    shared = SharedSettings(CLICKHOUSE_QUERY_URL=f"http://127.0.0.1:{free_port()}")  # type: ignore[call-arg]
    with pytest.raises(QueryFailed, match="cannot reach ClickHouse"):
        run_query("SELECT 1", "table", shared)
