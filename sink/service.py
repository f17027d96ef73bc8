"""Runs the sink: migrations, the consumer loop, its health port and (for chDB) the ClickHouse
HTTP interface. Every part is built here from settings; nothing below reads the environment."""

from __future__ import annotations

import logging
import signal
import threading

from common.clickhouse import connect
from common.kafka import ensure_topics
from sink import dedup_log, migrate
from sink.consumer import SinkConsumer
from sink.dlq import DeadLetterProducer, SpikeGuard
from sink.errors import SinkError
from sink.health import HealthServer
from sink.http_interface import HttpInterface, QueryGateway
from sink.settings import SinkSettings, get_settings
from sink.writer import writers

log = logging.getLogger("hitstream.sink")


def build_consumer(settings: SinkSettings, client: object, lock: threading.Lock) -> SinkConsumer:
    shared = settings.shared
    return SinkConsumer(
        shared=shared,
        group_id=settings.group_id,
        topic=shared.topic_enriched,
        writers=writers(client, lock),  # type: ignore[arg-type]
        dlq=DeadLetterProducer(shared, shared.topic_dlq),
        guard=SpikeGuard(
            settings.dlq_spike_rows, settings.dlq_spike_ratio, settings.dlq_spike_window_seconds
        ),
        max_rows=settings.batch_max_rows,
        max_seconds=settings.batch_max_seconds,
        backoff_max_s=settings.retry_backoff_max_seconds,
        window_messages=settings.dedup_window_messages,
    )


def run(settings: SinkSettings | None = None, stop: threading.Event | None = None) -> None:
    settings = settings or get_settings()
    shared = settings.shared
    stop = stop or _stop_on_signals()
    ensure_topics(shared)
    dedup_log.repair_embedded(shared.clickhouse_dsn)  # before chDB opens it: lost blocks land again
    migrate.apply(shared.clickhouse_dsn, shared.clickhouse_database)
    client = connect(shared.clickhouse_dsn, database=shared.clickhouse_database)
    migrate.apply_retention(client, settings.retention_days)
    lock = threading.Lock()
    http: HttpInterface | None = None
    if settings.serve_http:
        # A client of its own: chDB keeps per-query settings (readonly) on the client's session.
        reader = connect(shared.clickhouse_dsn, database=shared.clickhouse_database)
        http = HttpInterface(
            QueryGateway(reader, lock, readonly=settings.http_readonly),
            settings.http_host,
            settings.http_port,
        )
        http.start()
        log.info("ClickHouse HTTP interface on %s", http.address)
    consumer = build_consumer(settings, client, lock)
    health = HealthServer(settings.metrics_host, settings.metrics_port, lambda: consumer.ready)
    health.start()
    log.info(
        "sink consuming %s as group %s; health on port %d",
        shared.topic_enriched,
        settings.group_id,
        health.port,
    )
    try:
        consumer.run(stop)
    except SinkError as exc:
        log.critical("sink stopped: %s", exc)
        raise SystemExit(3) from exc
    finally:
        health.stop()
        if http is not None:
            http.stop()
        client.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        log.info("signal %d: draining and stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
