from __future__ import annotations

import pytest

from bench.sink_data import encoded, events
from sink.batch import Batch, Batcher, batches
from tests.support.messages import FakeMessage as Msg

TOPIC = "hits.enriched"
POOL = encoded(events(120, seed=3))


def _batcher(*partitions: int, window: int = 1000) -> Batcher:
    b = Batcher(window)
    for p in partitions:
        b.assign((TOPIC, p))
    return b


def test_messages_become_events_filtered_hits_and_dead_letters_per_partition() -> None:
    b = _batcher(0, 1)
    for i, v in enumerate(POOL[:50]):
        b.take(Msg(v, i % 2, 100 + i))
    b.take(Msg(b"{not json", 0, 500))
    b.take(Msg(b'{"event_id": "x"}', 1, 501))
    parts = b.cut()
    assert [(p.partition, p.first, p.last) for p in parts] == [(0, 100, 500), (1, 101, 501)]
    assert sum(len(p.events) + len(p.filtered) for p in parts) == 50
    assert [d.offset for p in parts for d in p.dead] == [500, 501]
    assert all(d.reason.startswith("undecodable enriched event") for p in parts for d in p.dead)
    assert Batch(parts).plan.encode() == "hs1:0:100-500,1:101-501" and b.messages == 0 and b.cut() == []


def test_event_that_does_not_fit_a_column_is_dead_lettered_with_the_column() -> None:
    e = events(1, seed=4)[0].model_copy(update={"session_seq": 2**40})
    b = _batcher(0)
    b.take(Msg(e.model_dump_json().encode()))
    (part,) = b.cut()
    assert not part.events and part.dead[0].kind == "unmappable" and "session_seq" in part.dead[0].reason


def test_filtered_hits_never_become_events() -> None:
    e = events(1, seed=5)[0].model_copy(update={"filtered_reason": "bot"})
    b = _batcher(0)
    b.take(Msg(e.model_dump_json().encode()))
    (part,) = b.cut()
    assert not part.events and len(part.filtered) == 1


def test_an_upstream_duplicate_is_dropped_and_a_replayed_dead_letter_is_not() -> None:
    b = _batcher(0)
    b.take(Msg(POOL[0], 0, 10))
    b.take(Msg(POOL[1], 0, 11))
    b.take(Msg(POOL[0], 0, 40))  # the processors emitted it again after a crash
    b.take(Msg(POOL[1], 0, 41, _headers=[("replayed_from", b"0:3")]))  # `hitstream dlq replay`
    (part,) = b.cut()
    assert part.duplicates == 1 and part.farthest_duplicate == 30
    assert [r.offset for r in part.events + part.filtered] == [10, 11, 41]


def test_a_copy_outside_the_window_is_stored_again() -> None:
    b = _batcher(0, window=20)
    b.take(Msg(POOL[0], 0, 10))
    b.take(Msg(POOL[0], 0, 31))
    assert b.cut()[0].duplicates == 0


def test_a_batch_is_due_by_rows_or_by_the_age_of_its_oldest_message() -> None:
    b = _batcher(0, 1)
    assert not b.due(max_rows=1, max_seconds=0)
    b.take(Msg(POOL[0], 0, 3))
    assert b.due(max_rows=1, max_seconds=60) and b.due(max_rows=100, max_seconds=0)
    assert not b.due(max_rows=100, max_seconds=60)


def test_a_flush_of_many_partitions_is_split_so_each_plan_fits_the_offset_metadata() -> None:
    b = _batcher(*range(40))
    for p in range(40):
        b.take(Msg(POOL[p], p, 10**9 + p))
    cut = b.cut()
    split = batches(cut, max_metadata=200)
    assert len(split) > 1 and all(len(x.plan.encode()) <= 200 for x in split)
    assert [p.partition for x in split for p in x.parts] == list(range(40))
    assert len(batches(cut)) == 1


def test_messages_of_a_partition_not_assigned_are_refused() -> None:
    with pytest.raises(KeyError):
        Batcher(10).take(Msg(POOL[0], 3, 0))
