"""The processors' faust application, built from settings in one function: topics, tables, the
enrich agent, its timers and the web views. Importing this module builds nothing.

State (keyed by the raw topic's Kafka key, `site|visitor`, so it is co-partitioned with the
stream; see docs/processors.md):
- `sessions`: per key, the UTC days it was counted on and their sessions (RocksDB on disk,
  changelog-backed), written by the hot path in batches (`processors.agent`).
- `swetrix-sessions`: Swetrix's own session rules, written from an HTTP view.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust
import orjson

from common.kafka import faust_credentials
from common.metrics import CONSUMER_LAG, PROCESSOR_CACHE, PROCESSOR_STATE_KEYS
from processors import faust_internals, swetrix_sessions_view, views
from processors.agent import HotPath
from processors.enrich import Enricher
from processors.expiry import Sweeper
from processors.faust_internals import TableStore
from processors.live import LiveVisitors
from processors.output import Output
from processors.rules import geo, sessions
from processors.rules.useragent import UserAgentParser
from processors.salts import KafkaSaltStore
from processors.settings import ProcessorSettings
from processors.state import KeyState

log = logging.getLogger("hitstream.processors")

# Per partition database: faust's defaults (2 GiB block cache, 3 x 64 MiB write buffers) are
# sized for one big database; a worker opens one per assigned partition. Small buffers keep the
# worker's memory bounded (≤ 6 MiB per partition) and let it reach that bound within minutes
# rather than hours at a modest rate: block cache misses are served from the OS page cache.
ROCKSDB_OPTIONS = {
    "block_cache_size": 2 * 2**20,
    "block_cache_compressed_size": 2 * 2**20,
    "write_buffer_size": 2 * 2**20,
    "max_write_buffer_number": 2,
}
SWEEP_EVERY_S = 30.0
SWEEP_BUDGET = 50_000


@dataclass(frozen=True)
class Processors:
    app: faust.App
    hot_path: HotPath
    sessions_table: faust.types.TableT[bytes, Any]
    swetrix_table: faust.types.TableT[bytes, Any]
    geo: geo.GeoLookup


def build(settings: ProcessorSettings) -> Processors:
    """Everything a worker runs, wired together; nothing is started."""
    faust_internals.install()  # before the app exists: faust's rebalance bugs lose events otherwise
    shared = settings.shared
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{shared.bootstrap_servers}",
        broker_credentials=faust_credentials(shared),
        store="rocksdb://",
        datadir=str(settings.state_path),
        topic_partitions=shared.topic_partitions,
        topic_replication_factor=shared.topic_replication,
        web_bind=settings.web_host,  # faust binds `web_bind` (default 0.0.0.0); web_host is only a name
        web_host=settings.web_host,
        web_port=settings.web_port,
        canonical_url=f"http://{settings.advertised_host}:{settings.web_port}",
        # Views touch tables and faust's HTTP client: they must run on the worker's own event loop.
        web_in_thread=False,
        producer_acks=-1,
        autodiscover=False,
        table_cleanup_interval=60.0,
    )
    raw_topic = app.topic(
        shared.topic_raw, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    # Written by the hot path and deleted by the expiry sweeper, both per partition; partitioned
    # by key (murmur2, like ingest and the raw topic), so the two always agree.
    sessions_table = app.Table(
        "sessions",
        key_type=bytes,
        use_partitioner=True,
        partitions=shared.topic_partitions,
        options=ROCKSDB_OPTIONS,
        help="Per site|visitor key: the UTC days it was counted on and their sessions.",
    )
    # Written from an HTTP view (not an agent): partitioned by key and kept in memory, recovered
    # from its changelog; expiry keeps it to the sessions of the last 30 minutes.
    swetrix_table = app.Table(
        "swetrix-sessions",
        key_type=bytes,
        use_partitioner=True,
        partitions=shared.topic_partitions,
        store="memory://local",  # a bare "memory://" is falsy to yarl, and faust falls back to RocksDB
    )
    limits = sessions.Limits(
        lateness=timedelta(seconds=settings.lateness_seconds),
        rate_window=timedelta(seconds=settings.bot_rate_window_seconds),
        rate_max_events=settings.bot_rate_max_events,
    )
    geo_lookup = geo.GeoLookup(settings.geoip_db, settings.geoip_asn_db)
    hot = HotPath(
        app=app,
        raw_topic=shared.topic_raw,
        enriched_topic=shared.topic_enriched,
        dlq_topic=shared.topic_dlq,
        store=TableStore(sessions_table),
        output=Output(shared, "hitstream-processors"),
        salts=KafkaSaltStore(shared, settings.salt_topic_name),
        enricher=Enricher(shared.secret, UserAgentParser(settings.ua_cache_size), geo_lookup),
        limits=limits,
        live=LiveVisitors(settings.live_window_seconds),
        batch_events=settings.batch_events,
        batch_wait_s=settings.batch_wait_ms / 1000,
    )
    app.agent(raw_topic, name="enrich")(hot.run)
    _housekeeping(app, hot, limits)
    views.install(app, hot.live)
    swetrix_sessions_view.install(app, swetrix_table)
    _quiet_library_debug_logs(app)
    return Processors(app, hot, sessions_table, swetrix_table, geo_lookup)


def _housekeeping(app: faust.App, hot: HotPath, limits: sessions.Limits) -> None:
    sweeper = Sweeper(
        hot.store,
        hot.output,
        hot.lock,
        lambda raw, watermark: sessions.expired(
            KeyState.from_json(orjson.loads(raw)).days, watermark, limits
        ),
        PROCESSOR_STATE_KEYS.labels("sessions").set,
    )
    reported = {"hit": 0, "miss": 0}

    async def housekeeping() -> None:
        """Expire state no event can reach any more, prune live visitors, publish cache metrics."""
        hot.live.prune(time.time())
        for result, total in (("hit", hot.enricher.ua.hits), ("miss", hot.enricher.ua.misses)):
            PROCESSOR_CACHE.labels("user_agent", result).inc(total - reported[result])
            reported[result] = total
        raw_tps = [tp for tp in app.consumer.assignment() if tp.topic == hot.raw_topic]
        for tp in raw_tps:
            end = app.consumer.highwater(tp)
            if end is not None and tp.partition in hot.next_offset:
                lag = max(end - hot.next_offset[tp.partition], 0)
                CONSUMER_LAG.labels("processors", tp.topic, str(tp.partition)).set(lag)
        assigned = {tp.partition for tp in raw_tps}
        watermark = sessions.expiry_watermark(assigned, hot.received)
        if watermark is not None:
            await sweeper.sweep(watermark, budget=SWEEP_BUDGET)

    app.timer(interval=SWEEP_EVERY_S)(housekeeping)

    async def on_revoked(sender: Any, revoked: set[Any], **_: Any) -> None:
        hot.live.drop_partitions(tp.partition for tp in revoked if tp.topic == hot.raw_topic)

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]  # faust sends (sender, revoked)


def _quiet_library_debug_logs(app: faust.App) -> None:
    async def quiet() -> None:
        """aiokafka and faust call `log.debug` several times per message; with the root logger at
        DEBUG each call builds a LogRecord that the handler then drops (~8% of CPU in a profile).
        Raise their loggers to the worker's level once logging is configured."""
        await asyncio.sleep(0)
        level = max(logging.getLogger().getEffectiveLevel(), logging.INFO)
        for name in ("aiokafka", "faust", "mode", "kafka"):
            if logging.getLogger(name).getEffectiveLevel() < level:
                logging.getLogger(name).setLevel(level)

    app.task(quiet)
