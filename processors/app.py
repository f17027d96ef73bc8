"""The faust application and its agents; they only wire pure rules to topics.

`faust -A processors.app worker` works as well as `hitstream process`. Settings are read once,
when this module is imported.
"""

from __future__ import annotations

import logging

import faust
from pydantic import ValidationError

from processors import swetrix_view
from processors.enrich import Enricher, PoisonEvent
from processors.settings import get_settings
from schemas.events import CanonicalEvent

log = logging.getLogger("hitstream.processors")

settings = get_settings()
shared = settings.shared

app = faust.App(
    settings.app_id,
    broker=f"kafka://{shared.bootstrap_servers}",
    store="rocksdb://",
    datadir=str(settings.state_path),
    topic_partitions=shared.topic_partitions,
    topic_replication_factor=shared.topic_replication,
    web_host=settings.web_host,
    web_port=settings.web_port,
    canonical_url=f"http://{settings.web_host}:{settings.web_port}",
    # Views touch tables and faust's HTTP client: they must run on the worker's own event loop.
    web_in_thread=False,
    producer_acks=-1,
    autodiscover=False,
)

raw_topic = app.topic(shared.topic_raw, key_type=bytes, value_type=bytes, value_serializer="raw",
                      key_serializer="raw")
enriched_topic = app.topic(shared.topic_enriched, key_type=bytes, value_type=bytes, value_serializer="raw",
                           key_serializer="raw")
dlq_topic = app.topic(shared.topic_dlq, key_type=bytes, value_type=bytes, value_serializer="raw",
                      key_serializer="raw")

enricher = Enricher(shared.secret)

# Swetrix session state, keyed by the raw topic's Kafka key. Written from an HTTP view (not an
# agent), so it partitions by key (`use_partitioner`, murmur2 like ingest) and lives in memory,
# recovered from its changelog; expiry keeps it to the sessions of the last 30 minutes.
swetrix_sessions = app.Table(
    "swetrix-sessions", key_type=bytes,
    use_partitioner=True, partitions=shared.topic_partitions,
    store="memory://local",  # a bare "memory://" is falsy to yarl, and faust falls back to RocksDB
)
swetrix_view.install(app, swetrix_sessions)


async def _dead_letter(key: bytes | None, value: bytes, reason: str) -> None:
    log.warning("dead-lettering a raw event: %s", reason)
    await dlq_topic.send(key=key, value=value, headers={"reason": reason.encode(), "stage": b"processors"})


@app.agent(raw_topic)
async def enrich(stream: faust.StreamT[bytes]) -> None:
    """Every raw event becomes one enriched event, or one dead letter; faust acks either way."""
    async for key, value in stream.items():
        try:
            event = CanonicalEvent.model_validate_json(value)
        except ValidationError as exc:
            await _dead_letter(key, value, f"invalid canonical event: {exc.errors()[0]['msg']}")
            continue
        result = enricher.enrich(event)
        if isinstance(result, PoisonEvent):
            await _dead_letter(key, value, result.reason)
            continue
        await enriched_topic.send(key=key, value=result.model_dump_json().encode())
