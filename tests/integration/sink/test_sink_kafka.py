"""The sink as a real process against the real broker and chDB: exactness, crash replays,
upstream duplicates, rebalance, DLQ, spike."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, Producer, TopicPartition

from bench.analytics_checks import mismatches
from bench.sink_data import encoded, events
from hitstream.cli import main
from sink.plan import Plan, Range
from tests.conftest import PipelineEnv
from tests.integration.sink.loading import COUNTS, load
from tests.integration.sink.running import SinkProcess, committed, end_offsets, produce, read_topic
from tests.support.services import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def _stored(evs: list) -> int:  # type: ignore[type-arg]
    return sum(1 for e in evs if not e.filtered_reason)


def _expected(ch_client: Client, evs: list) -> dict[str, str]:  # type: ignore[type-arg]
    """What every count must be: the same events loaded once, in-process, into a fresh database."""
    load(ch_client, evs, "expected")
    return {name: ch_client.raw_query(sql, fmt="TSV").decode() for name, sql in COUNTS.items()}


def _exact(sink: SinkProcess) -> dict[str, list[tuple[str, ...]]]:
    """The derived tables against `events` (bench/analytics_checks.py), through the sink's HTTP port."""
    return mismatches(lambda sql: [tuple(line.split("\t")) for line in sink.query(sql).splitlines()])


def test_every_event_lands_once_and_every_derived_table_agrees(
    pipeline_env: PipelineEnv, ch_client: Client
) -> None:
    evs = events(4000, seed=31)
    topic = pipeline_env.topics["enriched"]
    n = produce(pipeline_env.bootstrap, topic, encoded(evs))
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="1000").start()
    try:
        wait_for(
            lambda: committed(pipeline_env.bootstrap, f"{pipeline_env.name}-sink", topic) == n,
            120,
            "all of it",
        )
        assert sink.snapshot() == _expected(ch_client, evs)
        assert _exact(sink) == {}
        assert sink.ready()
        assert "hitstream_sink_rows_total" in sink.metrics()
    finally:
        assert sink.stop() == 0


def test_sink_killed_mid_stream_replays_its_recorded_batch_exactly(
    pipeline_env: PipelineEnv, ch_client: Client
) -> None:
    """kill -9 while a batch is planned and in flight: the restarted sink re-cuts it at the recorded
    ranges and lands it with the same token, so not one physical row is doubled, in `events` or
    any view."""
    evs = events(30_000, seed=32)
    topic = pipeline_env.topics["enriched"]
    n = produce(pipeline_env.bootstrap, topic, encoded(evs))
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="500").start()
    group = f"{pipeline_env.name}-sink"
    replays = 0
    try:
        for _ in range(3):  # kill until a restart has replayed a recorded plan (almost always the first)
            low = committed(pipeline_env.bootstrap, group, topic)
            wait_for(
                lambda low=low: low < committed(pipeline_env.bootstrap, group, topic) < n,  # type: ignore[misc]
                120,
                "more batches committed",
                0.05,
            )
            sink.kill()
            assert committed(pipeline_env.bootstrap, group, topic) < n, "killed too late to prove anything"
            sink.start()
            wait_for(sink.ready, 90, "restarted sink assigned")
            replays = sink.service.output().count("re-cut the recorded batch") if sink.service else 0
            if replays:
                break
        log = sink.service.output()[-3000:] if sink.service else ""
        assert replays, f"no restart replayed a recorded batch:\n{log}"
        wait_for(lambda: committed(pipeline_env.bootstrap, group, topic) == n, 180, "the rest after restart")
        assert sink.count("SELECT count() FROM events") == sink.count() == _stored(evs)
        assert sink.snapshot() == _expected(ch_client, evs)
        assert _exact(sink) == {}
    finally:
        sink.stop()


def test_a_batch_a_dead_sink_recorded_is_landed_by_the_next_even_if_nothing_new_arrives(
    pipeline_env: PipelineEnv,
) -> None:
    evs = events(900, seed=38)
    topic, group = pipeline_env.topics["enriched"], f"{pipeline_env.name}-sink"
    _produce_to(pipeline_env.bootstrap, topic, [(v, i % 3) for i, v in enumerate(encoded(evs))])
    plan = Plan.of(topic, {p: Range(0, 299) for p in range(3)})  # recorded, never inserted, never committed
    dead = Consumer({"bootstrap.servers": pipeline_env.bootstrap, "group.id": group})
    dead.commit(
        offsets=[TopicPartition(topic, p, 0, metadata=plan.encode()) for p in range(3)], asynchronous=False
    )
    dead.close()
    sink = SinkProcess(pipeline_env).start()
    try:
        wait_for(
            lambda: committed(pipeline_env.bootstrap, group, topic) == 900, 120, "the recorded batch landed"
        )
        assert sink.count("SELECT count() FROM events") == _stored(evs)
        assert sink.service is not None and "landed the recorded batch" in sink.service.output()
    finally:
        sink.stop()


def test_an_upstream_duplicate_is_dropped_within_the_window_even_after_a_restart(
    pipeline_env: PipelineEnv,
) -> None:
    """The processors emit an event again after a crash: it lands on the same partition a few
    offsets later. The sink drops it by event_id, also when it arrives after the sink restarted
    (the window is read back from the topic); a copy farther back than the window is stored."""
    evs = events(6000, seed=37)
    values = encoded(evs)
    topic = pipeline_env.topics["enriched"]
    by_partition = [values[p::3] for p in range(3)]  # 2,000 offsets each
    _produce_to(pipeline_env.bootstrap, topic, [(v, i % 3) for i, v in enumerate(values)])
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="700", SINK_DEDUP_WINDOW_MESSAGES="1000").start()
    group = f"{pipeline_env.name}-sink"
    wait_for(lambda: committed(pipeline_env.bootstrap, group, topic) == 6000, 120, "first pass")
    assert sink.stop() == 0
    near = [(v, p) for p in range(3) for v in by_partition[p][-100:]]  # within 1,000 offsets
    far = [(v, p) for p in range(3) for v in by_partition[p][:5]]  # about 2,000 offsets back
    _produce_to(pipeline_env.bootstrap, topic, near + far)
    sink.start()
    try:
        wait_for(
            lambda: committed(pipeline_env.bootstrap, group, topic) == 6000 + len(near) + len(far),
            120,
            "copies",
        )
        stored_far = sum(1 for p in range(3) for e in evs[p::3][:5] if not e.filtered_reason)
        assert sink.count() == _stored(evs)
        # The copies' own rows (a merge may already have folded an original into its copy).
        assert sink.count("SELECT count() FROM events WHERE kafka_offset >= 2000") == stored_far
        assert "hitstream_sink_duplicates_dropped_total 300.0" in sink.metrics()
    finally:
        sink.stop()


def _produce_to(bootstrap: str, topic: str, pairs: list[tuple[bytes, int]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 20})
    for value, partition in pairs:
        producer.produce(topic, value=value, key=b"k", partition=partition)
    assert producer.flush(30) == 0


def test_a_rebalance_hands_partitions_over_without_duplicates(pipeline_env: PipelineEnv) -> None:
    """Two sinks in one group, each with its own chDB: together they hold every event exactly once,
    which only holds if the first flushes and commits before giving partitions to the second."""
    topic = pipeline_env.topics["enriched"]
    evs = events(12_000, seed=36)
    first = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="300", SINK_BATCH_MAX_SECONDS="5").start()
    second = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="300", SINK_BATCH_MAX_SECONDS="5")
    group = f"{pipeline_env.name}-sink"
    try:
        produce(pipeline_env.bootstrap, topic, encoded(evs[:6000]))
        wait_for(lambda: committed(pipeline_env.bootstrap, group, topic) > 0, 60, "first sink committing")
        second.start(CLICKHOUSE_URL=f"chdb://{pipeline_env.state_dir / 'clickhouse-2'}")
        # Only once the second holds partitions is the second half sure to reach it: on a slow
        # machine the first could otherwise drain everything before the group rebalances.
        wait_for(second.ready, 90, "second sink holds partitions")
        n = 6000 + produce(pipeline_env.bootstrap, topic, encoded(evs[6000:]))
        wait_for(lambda: committed(pipeline_env.bootstrap, group, topic) == n, 180, "both sinks done")
        assert first.count() + second.count() == _stored(evs)
        assert second.count() > 0
    finally:
        second.stop()
        first.stop()


def test_sigterm_flushes_and_commits_the_batch_it_holds(pipeline_env: PipelineEnv) -> None:
    evs = events(500, seed=35)
    topic = pipeline_env.topics["enriched"]
    n = produce(pipeline_env.bootstrap, topic, encoded(evs))
    # Neither batch trigger can fire on its own: only the shutdown flushes.
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="100000", SINK_BATCH_MAX_SECONDS="600").start()
    wait_for(sink.ready, 60, "sink assigned")
    time.sleep(5)  # let it fetch the 500 messages into its batch
    assert committed(pipeline_env.bootstrap, f"{pipeline_env.name}-sink", topic) == 0
    assert sink.stop() == 0
    assert committed(pipeline_env.bootstrap, f"{pipeline_env.name}-sink", topic) == n
    sink.start()
    try:
        assert sink.count() == _stored(evs)
    finally:
        sink.stop()


def test_a_refused_row_goes_to_the_dlq_and_its_batch_mates_land(pipeline_env: PipelineEnv) -> None:
    evs = [e for e in events(300, seed=33) if not e.filtered_reason]
    bad = evs[100].model_copy(update={"event_time": evs[100].received_at.replace(year=2099)})
    values = [*encoded([*evs[:100], bad, *evs[101:]]), b"{not json"]
    topic = pipeline_env.topics["enriched"]
    n = produce(pipeline_env.bootstrap, topic, values)
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="5000", SINK_BATCH_MAX_SECONDS="2").start()
    try:
        wait_for(
            lambda: committed(pipeline_env.bootstrap, f"{pipeline_env.name}-sink", topic) == n, 120, "batch"
        )
        assert sink.count() == len(evs) - 1
        assert sink.count(f"SELECT count() FROM events WHERE event_id = '{bad.event_id}'") == 0
        letters = read_topic(pipeline_env.bootstrap, pipeline_env.topics["dlq"], 2)
        reasons = sorted(dict(m.headers())["reason"].decode() for m in letters)
        # The sink's row check (schemas.limits) refuses the far-future row before ClickHouse would;
        # tests/integration/sink/test_schema.py shows ClickHouse refusing a row past the check.
        assert "does not fit the events table" in reasons[0]
        assert reasons[1].startswith("undecodable enriched event")
        assert all(dict(m.headers())["stage"] == b"sink" for m in letters)
        assert 'hitstream_sink_dead_letters_total{reason="unmappable"} 1.0' in sink.metrics()
    finally:
        sink.stop()
    _dlq_cli_counts_shows_and_replays(pipeline_env, n)


def _dlq_cli_counts_shows_and_replays(env: PipelineEnv, produced: int) -> None:
    runner = CliRunner(env=env.env)
    out = runner.invoke(main, ["dlq", "count"], catch_exceptions=False).output
    assert out.splitlines()[-1] == "2\ttotal" and "does not fit the events table" in out
    shown = runner.invoke(
        main, ["dlq", "show", "--reason-contains", "undecodable"], catch_exceptions=False
    ).output
    assert len(shown.splitlines()) == 1 and '"source_topic": "' + env.topics["enriched"] in shown
    out = runner.invoke(main, ["dlq", "replay", "--stage", "sink"], catch_exceptions=False).output
    assert f"replayed 2 to {env.topics['enriched']}" in out
    assert end_offsets(env.bootstrap, env.topics["enriched"]) == produced + 2


def test_a_spike_of_dead_letters_stops_the_sink_without_draining(pipeline_env: PipelineEnv) -> None:
    topic = pipeline_env.topics["enriched"]
    n = produce(pipeline_env.bootstrap, topic, encoded(events(50, seed=34)) + [b"garbage"] * 50)
    sink = SinkProcess(pipeline_env, SINK_BATCH_MAX_ROWS="5000", SINK_BATCH_MAX_SECONDS="2",
                       SINK_DLQ_SPIKE_ROWS="10", SINK_DLQ_SPIKE_RATIO="0.2").start(wait=False)  # fmt: skip
    assert sink.service is not None and sink.service.proc is not None
    assert sink.service.proc.wait(timeout=120) == 3
    assert "went to the DLQ" in sink.service.output()
    assert committed(pipeline_env.bootstrap, f"{pipeline_env.name}-sink", topic) == 0
    assert end_offsets(pipeline_env.bootstrap, pipeline_env.topics["dlq"]) == 0, (
        "nothing drained into the DLQ"
    )
    assert n == 100
