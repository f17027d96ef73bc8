"""What the sink needs before it consumes a partition it was just assigned: the plan recorded at
the partition's committed offset (`sink.plan`), and the dedup window of the offsets before it,
read back from the topic (`sink.dedup`). Both make a new owner (this process after a restart,
or another sink after a rebalance) cut and filter the partition exactly as the last owner did.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from common import kafka
from common.settings import SharedSettings
from sink.dedup import DedupWindow, is_replayed, key_of_value
from sink.errors import SinkError
from sink.plan import Range, decode

log = logging.getLogger("hitstream.sink")
TP = tuple[str, int]
_RETRY_S = 1.0


class RecoveryFailed(SinkError):
    """Kafka did not answer in time while the sink read a partition's plan or window."""


def committed_plans(
    consumer: Consumer, partitions: list[TopicPartition], timeout_s: float
) -> dict[TP, tuple[int, list[Range]]]:
    """Per partition, the group's committed offset (negative: none yet) and the ranges still to
    replay from its metadata; retried while Kafka does not answer, up to `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got = consumer.committed(partitions, timeout=min(10.0, timeout_s))
            return {(tp.topic, tp.partition): (tp.offset, decode(tp.metadata, tp.offset)) for tp in got}
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise RecoveryFailed(f"could not read committed offsets: {exc}") from exc
            log.warning("reading committed offsets failed (%s); retrying", exc)
            time.sleep(_RETRY_S)


def rebuild_windows(
    shared: SharedSettings, group_id: str, ends: dict[TP, int], size: int, timeout_s: float = 120.0
) -> dict[TP, DedupWindow]:
    """Per partition, the window as it stood before offset `ends[tp]`: the keys of the messages
    at `[end - size, end)`, read with a consumer of its own (assigned, never committing)."""
    windows = {tp: DedupWindow(size) for tp in ends}
    eof = {"enable.partition.eof": True}
    reader = kafka.consumer(shared, "hitstream-sink-window", f"{group_id}.window", **eof)
    try:
        todo: dict[TP, int] = {}
        starts: list[TopicPartition] = []
        for (topic, partition), end in ends.items():
            low, _ = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
            start = max(low, end - size)
            if start < end:
                todo[(topic, partition)] = end
                starts.append(TopicPartition(topic, partition, start))
        if not starts:
            return windows
        started = time.monotonic()
        reader.assign(starts)
        _read(reader, todo, windows, time.monotonic() + timeout_s)
        log.info(
            "rebuilt dedup windows of %d partition(s) (%d keys) in %.1fs",
            len(starts),
            sum(len(windows[tp]) for tp in todo),
            time.monotonic() - started,
        )
        return windows
    except KafkaException as exc:
        raise RecoveryFailed(f"could not read the dedup window back: {exc}") from exc
    finally:
        reader.close()


def _read(reader: Consumer, todo: dict[TP, int], windows: dict[TP, DedupWindow], deadline: float) -> None:
    while todo:
        if time.monotonic() > deadline:
            raise RecoveryFailed(f"reading the dedup window of {sorted(todo)} timed out")
        for msg in reader.consume(num_messages=10_000, timeout=1.0):
            _window_take(msg, todo, windows)


def _window_take(msg: Message, todo: dict[TP, int], windows: dict[TP, DedupWindow]) -> None:
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
    if offset >= end:
        del todo[tp]
        return
    windows[tp].seen(offset, key_of_value(msg.value(), is_replayed(msg.headers())))
    if offset == end - 1:
        del todo[tp]


def describe(ranges: Iterable[Range]) -> str:
    return ",".join(f"{r.first}-{r.last}" for r in ranges) or "none"
