"""Sink benchmark: rows/s from the enriched topic into ClickHouse, and ingest-to-queryable latency.

    .venv/bin/python -m bench.sink [--rows 200000] [--batch-rows 20000]

1. Baseline: clickhouse-connect inserts the same rows (already built as columns, in memory)
   straight into a fresh, migrated chDB database, in batches of --batch-rows, through the same
   schema and views, with the sink's insert settings and a deduplication token per insert: the
   events, the latest session version per session of each batch, the filtered hits.
2. Sink: the same events, JSON-encoded, are produced to a fresh enriched topic; one `hitstream
   sink` process (own chDB dir) consumes them. Rate = rows committed between the sink's first and
   last offset commit, divided by the time between them (start-up and migrations excluded).
3. Latency: with that sink still running, events are produced at a steady --rate for --seconds,
   each with `received_at` = the moment it is handed to the producer. ClickHouse stamps
   `inserted_at` (DEFAULT now64()) when the insert that carries the row runs; the row is
   queryable once that insert returns. p50/p99 of `inserted_at - received_at` are reported.
Kafka: KAFKA_BOOTSTRAP_SERVERS if set, else a throw-away local broker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from bench.sink_data import encoded, events
from common.clickhouse import connect
from common.local_kafka import LocalKafka
from common.settings import SharedSettings
from sink import migrate
from sink.batch import decode
from sink.rows import (
    COLUMNS,
    FILTERED_COLUMNS,
    SESSION_COLUMNS,
    Record,
    event_columns,
    filtered_columns,
    latest_sessions,
    session_columns,
)
from sink.writer import INSERT_SETTINGS

PARTITIONS = 6
HITSTREAM = str(Path(sys.executable).with_name("hitstream"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def direct_insert(values: list[bytes], batch_rows: int, root: Path) -> float:
    """rows/s of clickhouse-connect inserting prepared rows into the migrated schema."""
    dsn = f"chdb://{root / 'direct'}"
    migrate.apply(dsn, "bench")
    client = connect(dsn, database="bench")
    records: dict[str, list[Record]] = {"events": [], "filtered": []}
    for i, v in enumerate(values):
        table, record = decode(v, i % PARTITIONS, i)
        records[table].append(record)
    batches = []
    for table, names, to_columns, data in (
        ("events", COLUMNS, event_columns, records["events"]),
        ("filtered_hits_queue", FILTERED_COLUMNS, filtered_columns, records["filtered"]),
    ):
        for lo in range(0, len(data), batch_rows):
            batches.append((table, names, to_columns(data[lo : lo + batch_rows])))
            if table == "events":
                latest = latest_sessions(data[lo : lo + batch_rows])
                batches.append(("session_versions", SESSION_COLUMNS, session_columns(latest)))
    started = time.perf_counter()  # only the inserts: rows are built before the clock starts
    for n, (table, names, columns) in enumerate(batches):
        settings = {**INSERT_SETTINGS, "insert_deduplication_token": f"{table}/direct/{n}"}
        client.insert(table, columns, column_names=list(names), column_oriented=True, settings=settings)
    elapsed = time.perf_counter() - started
    client.close()
    return len(values) / elapsed


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000})
    for i, v in enumerate(values):
        while True:
            try:
                producer.produce(topic, value=v, key=str(i % 997).encode())
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def committed(consumer: Consumer, topic: str) -> int:
    """Sum of the group's committed offsets; -1 when the coordinator does not answer this time
    (NOT_COORDINATOR while it moves or loads: the caller polls again)."""
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=10)
    except KafkaException:
        return -1
    return sum(max(tp.offset, 0) for tp in tps)


class SinkUnderTest:
    def __init__(self, bootstrap: str, root: Path, name: str, batch_rows: int) -> None:
        self.name, self.ch_port = name, free_port()
        self.env = {
            **os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "CLICKHOUSE_URL": f"chdb://{root / 'sink'}",
            "HITSTREAM_CLICKHOUSE_DATABASE": "bench", "HITSTREAM_TOPIC_ENRICHED": f"{name}.enriched",
            "HITSTREAM_TOPIC_RAW": f"{name}.raw", "HITSTREAM_TOPIC_DLQ": f"{name}.dlq",
            "HITSTREAM_TOPIC_PARTITIONS": str(PARTITIONS), "HITSTREAM_STATE_DIR": str(root),
            "SINK_GROUP_ID": f"{name}-sink", "SINK_HTTP_PORT": str(self.ch_port),
            "SINK_METRICS_PORT": str(free_port()), "SINK_BATCH_MAX_ROWS": str(batch_rows),
            "SINK_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        self.log = (root / "sink.log").open("wb")
        self.proc = subprocess.Popen(
            [HITSTREAM, "sink"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def query(self, sql: str) -> str:
        params = urllib.parse.urlencode({"query": sql, "database": "bench"})
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ch_port}/?{params}", timeout=30) as r:
            return str(r.read().decode()).strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def sink_rate(sink: SinkUnderTest, bootstrap: str, values: list[bytes]) -> float:
    topic = f"{sink.name}.enriched"
    produce(bootstrap, topic, values)  # before the sink consumes: the sink never waits on Kafka
    watcher = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{sink.name}-sink"})
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + 900
    while not samples or samples[-1][1] < len(values):
        if time.monotonic() > deadline or sink.proc.poll() is not None:
            raise SystemExit(f"sink did not finish (exit {sink.proc.poll()}); see {sink.log.name}")
        n = committed(watcher, topic)
        if n > 0 and (not samples or n != samples[-1][1]):
            samples.append((time.monotonic(), n))
        time.sleep(0.02)
    watcher.close()
    (t0, n0), (t1, n1) = samples[0], samples[-1]
    return (n1 - n0) / (t1 - t0)


def latency(sink: SinkUnderTest, bootstrap: str, rate: int, seconds: int) -> tuple[float, float, int]:
    template = orjson.loads(encoded(events(1, seed=99))[0])
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    total, started = rate * seconds, time.monotonic()
    for i in range(total):
        while time.monotonic() < started + i / rate:
            time.sleep(0.0005)
        now = datetime.now(UTC).isoformat()
        ev = {
            **template,
            "event_id": str(uuid.uuid4()),
            "site_id": "latency",
            "event_time": now,
            "received_at": now,
        }
        producer.produce(f"{sink.name}.enriched", value=orjson.dumps(ev), key=str(i % 997).encode())
        producer.poll(0)
    producer.flush(30)
    deadline = time.monotonic() + 120
    while int(sink.query("SELECT count() FROM events WHERE site_id = 'latency'") or 0) < total:
        if time.monotonic() > deadline:
            raise SystemExit("latency rows never all arrived")
        time.sleep(0.5)
    q = sink.query("SELECT quantiles(0.5, 0.99)(dateDiff('millisecond', received_at, inserted_at)) "
                   "FROM events WHERE site_id = 'latency'")  # fmt: skip
    p50, p99 = orjson.loads(q)
    return p50 / 1000, p99 / 1000, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--batch-rows", type=int, default=20_000)
    ap.add_argument("--rate", type=int, default=2_000, help="events/s in the latency phase")
    ap.add_argument("--seconds", type=int, default=20, help="length of the latency phase")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sink-") as tmp:
        root = Path(tmp)
        broker = None
        bootstrap = SharedSettings().kafka_bootstrap_servers
        if not bootstrap:
            broker = LocalKafka(root / "kafka", port=free_port(), controller_port=free_port())
            bootstrap = broker.start(timeout_s=180)
        try:
            run(args, root, bootstrap)
        finally:
            if broker is not None:
                broker.stop()


def run(args: argparse.Namespace, root: Path, bootstrap: str) -> None:
    print(f"generating {args.rows} events ...", flush=True)
    values = encoded(events(args.rows, seed=7))
    direct = direct_insert(values, args.batch_rows, root)
    print(f"direct clickhouse-connect insert: {direct:,.0f} rows/s", flush=True)
    sink = SinkUnderTest(bootstrap, root, f"bench{uuid.uuid4().hex[:8]}", args.batch_rows)
    try:
        rate = sink_rate(sink, bootstrap, values)
        print(
            f"sink (1 process, Kafka -> ClickHouse): {rate:,.0f} rows/s = {rate / direct:.0%} of direct",
            flush=True,
        )
        p50, p99, n = latency(sink, bootstrap, args.rate, args.seconds)
        print(f"latency produce -> queryable at {args.rate}/s ({n} events): p50 {p50:.3f}s  p99 {p99:.3f}s")
    finally:
        sink.stop()


if __name__ == "__main__":
    threading.excepthook = lambda a: None  # librdkafka threads at exit
    main()
