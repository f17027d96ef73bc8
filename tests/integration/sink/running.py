"""A sink as a real process for integration tests, fed straight onto the enriched topic."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from tests.conftest import PipelineEnv
from tests.integration.sink.loading import COUNTS
from tests.support.services import Service, free_port, http_ok, wait_for


class SinkProcess:
    """`hitstream sink` with its own chDB dir; queried through its ClickHouse HTTP interface."""

    def __init__(self, env: PipelineEnv, **settings: str) -> None:
        self.env = env
        self.ch_port, self.health_port = free_port(), free_port()
        self.extra = {
            "SINK_HTTP_PORT": str(self.ch_port),
            "SINK_METRICS_PORT": str(self.health_port),
            "SINK_BATCH_MAX_SECONDS": "0.3",
            **settings,
        }
        self.service: Service | None = None

    def start(self, wait: bool = True, **overrides: str) -> SinkProcess:
        env = {**self.env.env, **self.extra, **overrides}
        self.service = Service("sink", env, self.env.state_dir).start()
        if wait:
            url = f"http://127.0.0.1:{self.ch_port}/ping"
            wait_for(lambda: http_ok(url), 90, "sink HTTP interface", 0.5)
        return self

    def ready(self) -> bool:
        return http_ok(f"http://127.0.0.1:{self.health_port}/readyz")

    def query(self, sql: str) -> str:
        params = urllib.parse.urlencode({"query": sql, "database": self.env.name, "default_format": "TSV"})
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ch_port}/?{params}", timeout=30) as r:
            return str(r.read().decode())

    def count(self, sql: str = "SELECT uniqExact(event_id) FROM events") -> int:
        return int(self.query(sql).strip() or 0)

    def snapshot(self) -> dict[str, str]:
        return {name: self.query(sql) for name, sql in COUNTS.items()}

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/metrics", timeout=5) as r:
            return str(r.read().decode())

    def stop(self) -> int | None:
        return self.service.stop() if self.service else None

    def kill(self) -> None:
        if self.service:
            self.service.kill()


def produce(bootstrap: str, topic: str, values: Iterable[bytes], partitions: int = 3) -> int:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20})
    n = 0
    for n, v in enumerate(values, 1):
        producer.produce(topic, value=v, key=str(n % 97).encode(), partition=n % partitions)
        if n % 10_000 == 0:
            producer.flush(30)
    assert producer.flush(30) == 0
    return n


def committed(bootstrap: str, group: str, topic: str, partitions: int = 3) -> int:
    """Sum of the group's committed offsets on the topic (0 for partitions it never committed).
    Retried: the group coordinator answers NOT_COORDINATOR now and then while it moves or loads."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        for attempt in range(20):
            try:
                tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
                return sum(max(tp.offset, 0) for tp in tps)
            except KafkaException:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        raise AssertionError("unreachable")
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 30) -> list[Any]:
    """At least `expected` messages from the start of `topic`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{topic}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    consumer.subscribe([topic])
    out: list[Any] = []

    def enough() -> bool:
        out.extend(m for m in consumer.consume(100, 1.0) if m.error() is None)
        return len(out) >= expected

    try:
        wait_for(enough, timeout_s, f"{expected} messages on {topic}")
        return out
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str) -> int:
    """Sum of the topic's high watermarks: how many messages it holds."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        tps = [TopicPartition(topic, p) for p in partitions]
        return sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in tps)
    finally:
        consumer.close()
