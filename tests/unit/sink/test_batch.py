from __future__ import annotations

from dataclasses import dataclass

from bench.sink_data import encoded, events
from sink.batch import Batch


@dataclass
class Msg:
    _value: bytes | None
    _partition: int = 0
    _offset: int = 0
    _topic: str = "hits.enriched"

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return b"k"

    def value(self) -> bytes | None:
        return self._value


def test_batch_sorts_messages_into_events_filtered_and_dead_letters() -> None:
    good = encoded(events(50, seed=3))
    b = Batch()
    for i, v in enumerate(good):
        b.take(Msg(v, i % 2, 100 + i))
    b.take(Msg(b"{not json", 0, 500))
    b.take(Msg(b'{"event_id": "x"}', 1, 501))
    assert len(b.events) + len(b.filtered) == 50
    assert [d.offset for d in b.dead] == [500, 501]
    assert all(d.reason.startswith("undecodable enriched event") for d in b.dead)
    assert b.messages == 52
    assert b.commit_positions() == [("hits.enriched", 0, 501), ("hits.enriched", 1, 502)]


def test_event_that_does_not_fit_a_column_is_dead_lettered_with_the_column() -> None:
    e = events(1, seed=4)[0].model_copy(update={"session_seq": 2**40})
    b = Batch()
    b.take(Msg(e.model_dump_json().encode()))
    assert not b.events and b.dead[0].kind == "unmappable" and "session_seq" in b.dead[0].reason


def test_filtered_hits_never_become_events() -> None:
    e = events(1, seed=5)[0].model_copy(update={"filtered_reason": "bot"})
    b = Batch()
    b.take(Msg(e.model_dump_json().encode()))
    assert not b.events and len(b.filtered) == 1
