"""Runs the sink: migrations, the consumer loop, and (for chDB) the ClickHouse HTTP interface."""

from __future__ import annotations

import logging
import signal
import threading

from hitstream.clickhouse import connect
from hitstream.kafka_admin import ensure_topics
from sink import migrate
from sink.consumer import SinkConsumer
from sink.http_interface import HttpInterface, QueryGateway
from sink.settings import SinkSettings, get_settings
from sink.writer import EventWriter

log = logging.getLogger("hitstream.sink")


def run(settings: SinkSettings | None = None, stop: threading.Event | None = None) -> None:
    settings = settings or get_settings()
    shared = settings.shared
    stop = stop or _stop_on_signals()
    ensure_topics(shared)
    migrate.apply(shared.clickhouse_dsn, shared.clickhouse_database)
    client = connect(shared.clickhouse_dsn, database=shared.clickhouse_database)
    lock = threading.Lock()
    http: HttpInterface | None = None
    if settings.serve_http:
        # A client of its own: chDB keeps per-query settings (readonly) on the client's session.
        reader = connect(shared.clickhouse_dsn, database=shared.clickhouse_database)
        http = HttpInterface(
            QueryGateway(reader, lock, readonly=settings.http_readonly), settings.http_host, settings.http_port
        )
        http.start()
        log.info("ClickHouse HTTP interface on %s", http.address)
    consumer = SinkConsumer(
        bootstrap_servers=shared.bootstrap_servers,
        topic=shared.topic_enriched,
        group_id=settings.group_id,
        dlq_topic=shared.topic_dlq,
        writer=EventWriter(client, lock),
        max_rows=settings.batch_max_rows,
        max_seconds=settings.batch_max_seconds,
    )
    log.info("sink consuming %s as group %s", shared.topic_enriched, settings.group_id)
    try:
        consumer.run(stop)
    finally:
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
