"""The sink's two offset commits per batch: the plan before the insert, the offsets after it.

Both are synchronous and both are only for partitions the sink still holds. The plan commit
leaves each partition's offset where the batch starts and puts the whole batch in the metadata
(`sink.plan`); if Kafka does not take it, nothing is inserted (`PlanNotRecorded`, retried by the
caller). The commit after the insert moves past the batch; if Kafka does not take it, nothing is
lost: the plan stays recorded, and whoever replays the batch cuts it alike and ClickHouse drops
it. A partition given up meanwhile is its new owner's to commit: ours could move it backwards.
"""

from __future__ import annotations

import logging
from collections.abc import Set

from confluent_kafka import Consumer, KafkaException, TopicPartition

from common.metrics import CONSUMER_LAG
from sink.batch import TP, Batch
from sink.errors import PlanNotRecorded

log = logging.getLogger("hitstream.sink")


def record_plans(consumer: Consumer, planned: list[Batch]) -> None:
    """Commit each batch's plan as the metadata of every partition in it, offsets unchanged."""
    offsets = [
        TopicPartition(p.topic, p.partition, p.first, metadata=b.plan.encode())
        for b in planned
        for p in b.parts
    ]
    if not offsets:
        return
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as exc:
        raise PlanNotRecorded(f"planned batch not recorded: {exc}") from exc


def commit_past(consumer: Consumer, planned: list[Batch], held: Set[TP]) -> None:
    """Commit past every part of the batches, for the partitions in `held`; record the lag."""
    ends: dict[TP, int] = {}
    for p in (p for b in planned for p in b.parts):
        ends[(p.topic, p.partition)] = max(ends.get((p.topic, p.partition), 0), p.last + 1)
    offsets = [TopicPartition(t, n, o) for (t, n), o in sorted(ends.items()) if (t, n) in held]
    if not offsets:
        return
    try:
        consumer.commit(offsets=offsets, asynchronous=False)
    except KafkaException as exc:
        log.warning("offset commit failed (%s); the batch will be replayed and deduplicated", exc)
        return
    for tp in offsets:
        _record_lag(consumer, tp)


def _record_lag(consumer: Consumer, tp: TopicPartition) -> None:
    try:
        _, high = consumer.get_watermark_offsets(tp, cached=True)
    except KafkaException:
        return
    if high >= 0:
        CONSUMER_LAG.labels("sink", tp.topic, str(tp.partition)).set(max(high - tp.offset, 0))
