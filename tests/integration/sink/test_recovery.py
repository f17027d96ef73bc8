"""A batch recorded in Kafka and never committed, read back by the next owners of its partitions
(here: a rebalance split it between two sinks): each re-cuts the whole batch and lands it under
its token; ClickHouse keeps one copy."""

from __future__ import annotations

import threading

import pytest
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, Producer, TopicPartition

from bench.sink_data import encoded, events
from sink.batch import Batch, Batcher
from sink.plan import Plan, Range
from sink.recovery import recover
from sink.writer import land_batch, writers
from tests.conftest import PipelineEnv
from tests.integration.sink.loading import snapshot

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def _consumer(env: PipelineEnv, group: str) -> Consumer:
    return Consumer({"bootstrap.servers": env.bootstrap, "group.id": group, "enable.auto.commit": False})


def test_a_batch_split_between_two_new_owners_lands_once(
    pipeline_env: PipelineEnv, ch_client: Client
) -> None:
    env, topic, group = pipeline_env, pipeline_env.topics["enriched"], f"{pipeline_env.name}-sink"
    evs = events(900, seed=61)
    producer = Producer({"bootstrap.servers": env.bootstrap})
    for i, value in enumerate(encoded(evs)):
        producer.produce(topic, value=value, key=b"k", partition=i % 3)
    assert producer.flush(30) == 0
    # The dead sink's last batch: offsets 100-249 of every partition, recorded, never committed.
    plan = Plan.of(topic, {p: Range(100, 249) for p in range(3)})
    owner = _consumer(env, group)
    owner.commit(offsets=[TopicPartition(topic, p, 100, metadata=plan.encode()) for p in range(3)],
                 asynchronous=False)  # fmt: skip
    owner.close()

    landed: list[dict[str, object]] = []
    tables = writers(ch_client, threading.Lock())
    for mine in ([0], [1, 2]):  # the rebalance gave partition 0 to one sink, 1 and 2 to another
        consumer = _consumer(env, group)
        rec = recover(consumer, env.shared(), group, [TopicPartition(topic, p) for p in mine], size=1000)
        consumer.close()
        assert [b.plan for b in rec.replays] == [plan]
        assert {tp[1]: start for tp, start in rec.starts.items()} == {p: 250 for p in mine}
        land_batch(rec.replays[0], tables)
        landed.append(snapshot(lambda sql: ch_client.query(sql).result_rows))
    assert landed[0] == landed[1], "the second owner's landing was dropped: one copy"
    in_batch = sum(1 for e in evs[300:750] if not e.filtered_reason)  # offsets 100-249 of 3 partitions
    assert ch_client.command("SELECT count() FROM events") == in_batch


def test_the_window_read_back_for_a_partition_drops_a_copy_after_the_restart(
    pipeline_env: PipelineEnv,
) -> None:
    env, topic, group = pipeline_env, pipeline_env.topics["enriched"], f"{pipeline_env.name}-sink"
    values = encoded(events(60, seed=62))
    producer = Producer({"bootstrap.servers": env.bootstrap})
    for value in [*values, values[50]]:  # offset 60 repeats offset 50
        producer.produce(topic, value=value, key=b"k", partition=0)
    assert producer.flush(30) == 0
    owner = _consumer(env, group)
    owner.commit(offsets=[TopicPartition(topic, 0, 60)], asynchronous=False)
    owner.close()
    consumer = _consumer(env, group)
    rec = recover(consumer, env.shared(), group, [TopicPartition(topic, 0)], size=100)
    consumer.close()
    assert rec.replays == [] and rec.starts == {(topic, 0): 60}
    batcher = Batcher(100)
    batcher.assign((topic, 0), rec.windows[(topic, 0)])
    reader = _consumer(env, f"{group}-reader")
    reader.assign([TopicPartition(topic, 0, 60)])
    (msg,) = [m for m in reader.consume(10, 10) if m.error() is None]
    reader.close()
    batcher.take(msg)
    (part,) = Batch(batcher.cut()).parts
    assert part.duplicates == 1 and part.farthest_duplicate == 10
