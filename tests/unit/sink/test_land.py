from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sink.errors import DataInsertError, TransientInsertError
from sink.writer import dedup_token, land


class FakeTable:
    """Refuses any insert containing a bad row, like ClickHouse refusing a whole block."""

    def __init__(self, bad: set[int]) -> None:
        self.bad = bad
        self.landed: list[int] = []
        self.tokens: list[str] = []

    def insert(self, rows: Sequence[list[Any]], token: str) -> None:
        self.tokens.append(token)
        if any(r[0] in self.bad for r in rows):
            raise DataInsertError("clickhouse 469 VIOLATED_CONSTRAINT: nope")
        self.landed += [r[0] for r in rows]


@given(st.integers(1, 64).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1)))))
def test_bisect_lands_every_good_row_once_and_returns_exactly_the_bad(case: tuple[int, set[int]]) -> None:
    n, bad = case
    table = FakeTable(bad)
    refused = land([[i] for i in range(n)], "tok", table.insert)
    assert [i for i, _ in refused] == sorted(bad)
    assert sorted(table.landed) == sorted(set(range(n)) - bad)
    assert len(table.tokens) == len(set(table.tokens)), "each sub-insert needs its own dedup token"


def test_clean_batch_is_one_insert_with_the_batch_token() -> None:
    table = FakeTable(set())
    assert land([[1], [2]], "tok", table.insert) == []
    assert table.tokens == ["tok"]


def test_transient_errors_propagate() -> None:
    def insert(rows: Sequence[list[Any]], token: str) -> None:
        raise TransientInsertError("busy")

    with pytest.raises(TransientInsertError):
        land([[1]], "tok", insert)


def test_dedup_token_is_stable_and_names_offsets() -> None:
    ranges = {("t", 2): (5, 9), ("t", 0): (1, 3)}
    assert dedup_token(ranges) == "t:0:1-3,t:2:5-9"
