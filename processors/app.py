"""The faust application, its topics and tables; `processors.agent` wires the rules to them.

`faust -A processors.app worker` works as well as `hitstream process`. Settings are read once,
when this module is imported.

State (all keyed by the raw topic's Kafka key, `site|visitor`, so it is co-partitioned with the
stream; see docs/processors.md):
- `sessions`: per key, the current analytics session and the recent UTC days (event time) the
  key was counted unique on (RocksDB on disk, changelog-backed). One record per key: one
  changelog write per event, and no per-key index in memory (faust's windowed tables keep one).
- `swetrix-sessions`: Swetrix's own session rules, written from an HTTP view.
"""

from __future__ import annotations

import logging

import faust
from faust.transport.producer import ProducerBuffer

from processors import faust_fixes, swetrix_sessions_view
from processors.settings import get_settings

log = logging.getLogger("hitstream.processors")
faust_fixes.install()  # before the app exists: faust's rebalance bugs lose events otherwise

# faust queues every table write (changelog record) in a ProducerBuffer and stalls the stream
# whenever more than `max_messages` (100) are pending, flushing them one by one; with two records
# per event (output, state) that stall dominated the benchmark. faust has no setting for it; a
# larger bound keeps back-pressure but lets the producer batch.
ProducerBuffer.max_messages = 5_000

settings = get_settings()
shared = settings.shared

app = faust.App(
    settings.app_id,
    broker=f"kafka://{shared.bootstrap_servers}",
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


def _raw_topic(name: str) -> faust.TopicT:
    return app.topic(name, key_type=bytes, value_type=bytes, value_serializer="raw", key_serializer="raw")


raw_topic = _raw_topic(shared.topic_raw)
enriched_topic = _raw_topic(shared.topic_enriched)
dlq_topic = _raw_topic(shared.topic_dlq)

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

# Written by the agent and deleted by the expiry timer, so it partitions by key (murmur2, like
# ingest and the raw topic) rather than by "the current event's partition".
sessions_table = app.Table(
    "sessions",
    key_type=bytes,
    use_partitioner=True,
    partitions=shared.topic_partitions,
    options=ROCKSDB_OPTIONS,
    help="Current analytics session and recent days seen, per site|visitor key.",
)

# Swetrix session state, keyed by the raw topic's Kafka key. Written from an HTTP view (not an
# agent), so it partitions by key (`use_partitioner`) and lives in memory, recovered from its
# changelog; expiry keeps it to the sessions of the last 30 minutes.
swetrix_sessions = app.Table(
    "swetrix-sessions",
    key_type=bytes,
    use_partitioner=True,
    partitions=shared.topic_partitions,
    store="memory://local",  # a bare "memory://" is falsy to yarl, and faust falls back to RocksDB
)
swetrix_sessions_view.install(app, swetrix_sessions)

from processors import agent  # noqa: E402,F401  (registers the agent, timers and views)
