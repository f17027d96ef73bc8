from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.sink_data import encoded, events
from sink.batch import Batch, Batcher
from sink.errors import DataInsertError, TransientInsertError
from sink.writer import EVENTS, FILTERED, SESSIONS, land, land_batch
from tests.support.messages import FakeMessage


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


class Recorder:
    """A table that refuses the rows of given events, like a constraint, and remembers the rest."""

    def __init__(self, refuse: set[int] | None = None) -> None:
        self.refuse = refuse or set()
        self.inserts: list[tuple[str, list[Any]]] = []

    def insert(self, rows: Sequence[Any], token: str) -> None:
        if any(getattr(r, "offset", None) in self.refuse for r in rows):
            raise DataInsertError("clickhouse 469 VIOLATED_CONSTRAINT: nope")
        self.inserts.append((token, list(rows)))


def test_a_batch_lands_in_every_table_with_its_plan_token_and_sessions_of_landed_events() -> None:
    evs = [e for e in events(60, seed=8) if not e.filtered_reason and e.session is not None and not e.is_bot]
    b = Batcher(1000)
    b.assign(("t", 2))
    for offset, value in enumerate(encoded(evs), 100):
        b.take(FakeMessage(value, 2, offset, "t", _key=None))
    batch = Batch(b.cut())
    (part,) = batch.parts
    refused = part.events[3].offset
    tables = {EVENTS: Recorder({refused}), SESSIONS: Recorder(), FILTERED: Recorder()}
    letters = land_batch(batch, tables)  # type: ignore[arg-type]
    assert [d.offset for d in letters] == [refused] and letters[0].kind == "refused"
    tokens = [t for t, _ in tables[EVENTS].inserts]
    assert tokens[0].startswith(f"{batch.plan.token}#")  # bisected: the batch's token and a row range
    ((token, sessions),) = tables[SESSIONS].inserts
    assert token == batch.plan.token
    latest: dict[str | None, int] = {}
    for r in part.events:
        if r.offset != refused:
            latest[r.event.session_id] = max(latest.get(r.event.session_id, 0), r.event.session_seq)
    assert {(s.event.session_id, s.event.session_seq) for s in sessions} == set(latest.items())
