from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.sink_data import encoded, events
from sink.batch import Batcher, Part
from sink.dedup import DedupWindow, is_replayed, key_of_value
from sink.plan import Range

TOPIC = "hits.enriched"
POOL = encoded(events(120, seed=3))


@dataclass
class Msg:
    _value: bytes | None
    _partition: int = 0
    _offset: int = 0
    _topic: str = TOPIC
    _headers: list[tuple[str, bytes | None]] = field(default_factory=list)

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

    def headers(self) -> list[tuple[str, bytes | None]]:
        return self._headers


def _batcher(*partitions: int, window: int = 1000) -> Batcher:
    b = Batcher(window)
    for p in partitions:
        b.assign((TOPIC, p), [])
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
    assert parts[0].token == f"{TOPIC}:0:100-500" and b.messages == 0 and b.cut() == []


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


def test_a_recorded_plan_is_cut_exactly_and_later_messages_start_a_part_of_their_own() -> None:
    b = Batcher(1000)
    b.assign((TOPIC, 0), [Range(10, 14), Range(15, 16)])
    for offset in range(10, 21):
        b.take(Msg(POOL[offset], 0, offset))
    parts = b.cut()
    assert [(p.first, p.last, p.planned) for p in parts] == [(10, 14, True), (15, 16, True), (17, 20, False)]
    assert [p.messages for p in parts] == [5, 2, 4]


def test_a_plan_not_yet_reached_holds_its_partition_back_and_nothing_else() -> None:
    b = Batcher(1000)
    b.assign((TOPIC, 0), [Range(10, 14)])
    b.assign((TOPIC, 1), [])
    for offset in (10, 11, 12):
        b.take(Msg(POOL[offset], 0, offset))
    assert not b.due(max_rows=1, max_seconds=0)
    b.take(Msg(POOL[0], 1, 3))
    assert b.due(max_rows=1, max_seconds=0)
    assert [p.partition for p in b.cut()] == [1]
    b.take(Msg(POOL[13], 0, 13))
    b.take(Msg(POOL[14], 0, 14))
    assert [(p.first, p.last, p.messages) for p in b.cut()] == [(10, 14, 5)]


def test_a_plan_whose_last_offset_never_comes_ends_at_the_next_offset() -> None:
    b = Batcher(1000)
    b.assign((TOPIC, 0), [Range(10, 14)])
    for offset in (10, 11, 17):  # 12-16 no longer exist (a transaction marker, compaction)
        b.take(Msg(POOL[offset], 0, offset))
    assert [(p.first, p.last, p.messages) for p in b.cut()] == [(10, 14, 2), (17, 17, 1)]


def test_messages_of_a_partition_not_assigned_are_refused() -> None:
    with pytest.raises(KeyError):
        Batcher(10).take(Msg(POOL[0], 3, 0))


def _stream(rng: random.Random, n: int) -> list[Msg]:
    """Events, some repeated a few offsets later (processor redeliveries), some garbage, some
    replayed dead letters."""
    msgs: list[Msg] = []
    for offset in range(n):
        roll = rng.random()
        if roll < 0.15 and msgs:
            value = rng.choice(msgs[-8:])._value
        elif roll < 0.18:
            value = b"garbage"
        else:
            value = rng.choice(POOL)
        headers = [("replayed_from", b"0:1")] if rng.random() < 0.05 else []
        msgs.append(Msg(value, 0, offset, _headers=headers))
    return msgs


def _outcome(p: Part) -> tuple[object, ...]:
    return (p.token, [r.event_id for r in p.events], [r.event_id for r in p.filtered],
            [d.offset for d in p.dead], p.duplicates)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 30), st.integers(0, 5))
def test_a_replay_after_a_crash_recuts_the_same_parts_with_the_same_rows(
    seed: int, window: int, crash: int
) -> None:
    """First attempt: parts cut at random moments, each one's range recorded before its insert.
    Crash after part `crash` was planned; the new owner reads the plan and rebuilds the window
    from the offsets before the committed one. The replayed parts are the first attempt's exactly:
    same tokens, same rows, same dead letters, same duplicates dropped."""
    rng = random.Random(seed)
    msgs = _stream(rng, 60)
    first = Batcher(window)
    first.assign((TOPIC, 0), [])
    parts: list[Part] = []
    for m in msgs:
        first.take(m)
        if rng.random() < 0.2:
            parts += first.cut()
    parts += first.cut()
    if crash >= len(parts):
        return
    planned = parts[crash : crash + 2]  # the batch in flight when the sink died: one or two parts
    committed = planned[0].first
    rebuilt = DedupWindow(window)
    for m in msgs:
        if committed - window <= m.offset() < committed:
            rebuilt.seen(m.offset(), key_of_value(m.value(), is_replayed(m.headers())))
    again = Batcher(window)
    again.assign((TOPIC, 0), [p.range for p in planned], rebuilt)
    replayed: list[Part] = []
    for m in msgs[committed:]:
        again.take(m)
        if rng.random() < 0.3:
            replayed += again.cut()
    replayed += again.cut()
    assert [_outcome(p) for p in replayed[: len(planned)]] == [_outcome(p) for p in planned]
