"""Creating the pipeline's topics; every service calls this at start-up, so order never matters."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # re-exported at runtime

from hitstream.settings import SharedSettings

log = logging.getLogger("hitstream.kafka")


class TopicError(RuntimeError):
    """A topic could not be created or checked."""


def topic_specs(shared: SharedSettings) -> list[NewTopic]:
    rf = shared.topic_replication
    raw_ms = shared.raw_retention_hours * 3600 * 1000
    return [
        NewTopic(shared.topic_raw, shared.topic_partitions, rf, config={"retention.ms": str(raw_ms)}),
        NewTopic(shared.topic_enriched, shared.topic_partitions, rf),
        NewTopic(shared.topic_dlq, 1, rf, config={"retention.ms": str(14 * 24 * 3600 * 1000)}),
    ]


def ensure_topics(shared: SharedSettings, timeout_s: float = 30.0) -> None:
    """Create missing topics; existing ones are left as they are (partitions are never shrunk)."""
    ensure(shared.bootstrap_servers, topic_specs(shared), timeout_s)


def ensure(bootstrap_servers: str, specs: list[NewTopic], timeout_s: float = 30.0) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise TopicError(f"Kafka at {bootstrap_servers} did not answer: {exc}") from exc
    missing = [s for s in specs if s.topic not in existing]
    if not missing:
        return
    for name, fut in admin.create_topics(missing, request_timeout=timeout_s).items():
        try:
            fut.result()
            log.info("created topic %s", name)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicError(f"could not create topic {name}: {exc}") from exc
