"""What the sink needs before it consumes partitions it was just assigned, read back from Kafka:
the batches recorded there and not committed (`sink.plan`), re-cut exactly from the topic, and
each partition's dedup window (`sink.dedup`) as of where consumption resumes. Both make a new
owner (this process after a restart, or another sink after a rebalance) cut and filter exactly as
the last owner did.

A recorded batch may span partitions this sink does not own (a rebalance split the batch): its
ranges are read from every one of them, and the whole batch is landed again under its token.
Whichever owner of its partitions lands it first wins; ClickHouse drops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from common import kafka
from common.settings import SharedSettings
from sink.batch import TP, Batch, Batcher, MessageLike
from sink.dedup import DedupWindow, is_replayed, key_of_value
from sink.errors import SinkError
from sink.plan import Plan, decode

log = logging.getLogger("hitstream.sink")
_RETRY_S = 1.0


class RecoveryFailed(SinkError):
    """Kafka did not answer in time while the sink read a partition's plan or window."""


@dataclass
class Recovery:
    starts: dict[TP, int] = field(default_factory=dict)  # where to resume; negative: no offset yet
    windows: dict[TP, DedupWindow] = field(default_factory=dict)  # as of `starts`
    replays: list[Batch] = field(default_factory=list)  # recorded batches to land again first


def committed_plans(
    consumer: Consumer, partitions: list[TopicPartition], timeout_s: float
) -> dict[TP, tuple[int, Plan | None]]:
    """Per partition, the group's committed offset (negative: none yet) and the batch recorded
    there and still to replay; retried while Kafka does not answer, up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got = consumer.committed(partitions, timeout=min(10.0, timeout_s))
            return {
                (tp.topic, tp.partition): (tp.offset, decode(tp.topic, tp.partition, tp.metadata, tp.offset))
                for tp in got
            }
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise RecoveryFailed(f"could not read committed offsets: {exc}") from exc
            log.warning("reading committed offsets failed (%s); retrying", exc)
            time.sleep(_RETRY_S)


def recover(
    consumer: Consumer,
    shared: SharedSettings,
    group_id: str,
    partitions: list[TopicPartition],
    size: int,
    timeout_s: float = 120.0,
) -> Recovery:
    """Everything needed to take over `partitions`: see the module docstring."""
    out = Recovery()
    state = committed_plans(consumer, partitions, timeout_s)
    plans = sorted({plan for _, plan in state.values() if plan is not None}, key=lambda p: p.encode())
    for plan in plans:
        batch, windows = replay(shared, group_id, plan, size, timeout_s)
        if batch is not None:
            out.replays.append(batch)
        for tp, (_, owned) in state.items():
            if owned == plan:
                out.windows[tp] = windows[tp[1]]
                out.starts[tp] = (plan.range_of(tp[1]) or plan.ranges[0][1]).last + 1
    fresh = {tp: offset for tp, (offset, plan) in state.items() if plan is None}
    out.starts.update(fresh)
    out.windows.update(rebuild_windows(shared, group_id, {tp: o for tp, o in fresh.items() if o > 0}, size))
    return out


class Recut:
    """Re-cuts a recorded batch from its partitions' messages, read back in offset order from
    `first - size` on: those before the batch fill each partition's window, the batch's own go
    through a Batcher as they did the first time. Pure: tested without Kafka."""

    def __init__(self, plan: Plan, size: int) -> None:
        self.plan = plan
        self.windows = {p: DedupWindow(size) for p, _ in plan.ranges}
        self._starts = {p: r.first for p, r in plan.ranges}
        self._batcher = Batcher(size)
        for p, _ in plan.ranges:
            self._batcher.assign((plan.topic, p), self.windows[p])

    def take(self, msg: MessageLike) -> None:
        p, offset = msg.partition() or 0, msg.offset() or 0
        if offset < self._starts[p]:
            self.windows[p].seen(offset, key_of_value(msg.value(), is_replayed(msg.headers())))
        else:
            self._batcher.take(msg)

    def batch(self) -> Batch | None:
        """The batch as first cut, or None when its messages are no longer all there."""
        batch = Batch(self._batcher.cut())
        return batch if batch.parts and batch.plan == self.plan else None


def replay(
    shared: SharedSettings, group_id: str, plan: Plan, size: int, timeout_s: float
) -> tuple[Batch | None, dict[int, DedupWindow]]:
    """The recorded batch re-cut from the topic (None if its messages are gone), and the windows
    of its partitions as of the offset after it."""
    recut = Recut(plan, size)
    spans = {(plan.topic, p): (r.first - size, r.last + 1) for p, r in plan.ranges}
    _read(shared, group_id, spans, recut.take, timeout_s)
    batch = recut.batch()
    if batch is None:
        log.error("recorded batch %s cannot be read back whole (retention?); not replayed", plan.encode())
    else:
        log.info("re-cut the recorded batch %s (%d messages) to land it again", plan.encode(), batch.messages)
    return batch, recut.windows


def rebuild_windows(
    shared: SharedSettings, group_id: str, ends: dict[TP, int], size: int, timeout_s: float = 120.0
) -> dict[TP, DedupWindow]:
    """Per partition, the window as it stood before offset `ends[tp]`: the keys of the messages
    at `[end - size, end)`."""
    windows = {tp: DedupWindow(size) for tp in ends}
    if not ends:
        return windows

    def take(msg: Message) -> None:
        tp = (msg.topic() or "", msg.partition() or 0)
        windows[tp].seen(msg.offset() or 0, key_of_value(msg.value(), is_replayed(msg.headers())))

    started = time.monotonic()
    _read(shared, group_id, {tp: (end - size, end) for tp, end in ends.items()}, take, timeout_s)
    log.info(
        "rebuilt dedup windows of %d partition(s) (%d keys) in %.1fs",
        len(ends), sum(len(w) for w in windows.values()), time.monotonic() - started,
    )  # fmt: skip
    return windows


def _read(
    shared: SharedSettings,
    group_id: str,
    spans: dict[TP, tuple[int, int]],
    take: Callable[[Message], None],
    timeout_s: float,
) -> None:
    """Hand every message at `[start, end)` of each partition to `take`, in offset order, with a
    consumer of its own (assigned, never committing)."""
    eof = {"enable.partition.eof": True}
    reader = kafka.consumer(shared, "hitstream-sink-recovery", f"{group_id}.recovery", **eof)
    try:
        todo: dict[TP, int] = {}
        assignment = []
        for (topic, partition), (start, end) in spans.items():
            low, _ = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
            if max(low, start) < end:
                todo[(topic, partition)] = end
                assignment.append(TopicPartition(topic, partition, max(low, start)))
        if not assignment:
            return
        reader.assign(assignment)
        deadline = time.monotonic() + timeout_s
        while todo:
            if time.monotonic() > deadline:
                raise RecoveryFailed(f"reading back {sorted(todo)} timed out")
            for msg in reader.consume(num_messages=10_000, timeout=1.0):
                _route(msg, todo, take)
    except KafkaException as exc:
        raise RecoveryFailed(f"could not read the topic back: {exc}") from exc
    finally:
        reader.close()


def _route(msg: Message, todo: dict[TP, int], take: Callable[[Message], None]) -> None:
    tp = (msg.topic() or "", msg.partition() or 0)
    end = todo.get(tp)
    if end is None:
        return
    err = msg.error()
    if err is not None:
        if err.code() == KafkaError._PARTITION_EOF:
            del todo[tp]
        return
    offset = msg.offset() or 0
    if offset < end:
        take(msg)
    if offset >= end - 1:
        del todo[tp]
