"""A crash between recording a batch and committing it: the next owner of any of its partitions
re-cuts it from the topic (`sink.recovery.Recut`) exactly as it was first cut."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.sink_data import encoded, events
from sink.batch import Batch, Batcher
from sink.recovery import Recut
from tests.support.messages import FakeMessage as Msg

TOPIC = "hits.enriched"
POOL = encoded(events(120, seed=3))


def _topic(rng: random.Random, partitions: int, n: int) -> list[Msg]:
    """Messages in arrival order: events, some repeated a few offsets later on the same partition
    (processor redeliveries), some garbage, some replayed dead letters."""
    out: list[Msg] = []
    offsets = [0] * partitions
    recent: list[list[bytes | None]] = [[] for _ in range(partitions)]
    for _ in range(n):
        p = rng.randrange(partitions)
        roll = rng.random()
        value = (rng.choice(recent[p][-8:]) if roll < 0.15 and recent[p]
                 else b"garbage" if roll < 0.18 else rng.choice(POOL))  # fmt: skip
        headers: list[tuple[str, bytes | None]] = [("replayed_from", b"0:1")] if rng.random() < 0.05 else []
        out.append(Msg(value, p, offsets[p], _headers=headers))
        recent[p].append(value)
        offsets[p] += 1
    return out


def _rows(b: Batch) -> tuple[object, ...]:
    return (b.plan.token, [r.event_id for r in b.events], [r.event_id for r in b.filtered],
            [(d.partition, d.offset) for d in b.dead], [p.duplicates for p in b.parts])  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 40), st.integers(1, 4))
def test_a_recorded_batch_is_recut_with_the_same_plan_token_and_rows(
    seed: int, window: int, parts: int
) -> None:
    rng = random.Random(seed)
    msgs = _topic(rng, parts, 150)
    first = Batcher(window)
    for p in range(parts):
        first.assign((TOPIC, p))
    cut: list[Batch] = []
    for m in msgs:
        first.take(m)
        if rng.random() < 0.1:
            cut.append(Batch(first.cut()))
    cut.append(Batch(first.cut()))
    cut = [b for b in cut if b.parts]
    lost = rng.choice(cut)  # recorded, maybe inserted, never committed
    recut = Recut(lost.plan, window)
    ends = {p: r.last for p, r in lost.plan.ranges}
    for m in msgs:  # what the reader gets back: each partition in offset order, up to the batch's end
        if m.partition() in ends and m.offset() <= ends[m.partition()]:
            recut.take(m)
    again = recut.batch()
    assert again is not None and _rows(again) == _rows(lost)


def test_a_batch_whose_messages_are_gone_is_not_recut() -> None:
    first = Batcher(10)
    first.assign((TOPIC, 0))
    for offset in range(5):
        first.take(Msg(POOL[offset], 0, offset))
    lost = Batch(first.cut())
    recut = Recut(lost.plan, 10)
    for offset in range(2, 5):  # retention deleted offsets 0 and 1
        recut.take(Msg(POOL[offset], 0, offset))
    assert recut.batch() is None
