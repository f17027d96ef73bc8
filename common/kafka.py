"""Every Kafka client hitstream builds, from one place: producers, consumers, the admin client and
faust's broker credentials, all from `SharedSettings`, plus the topics every service ensures.

One factory means one place that knows the bootstrap servers, the client ids and the security
options a real cluster needs (TLS, SASL); a service asks for a client by purpose and adds only what
is its own (acks, group, isolation). librdkafka's own log lines go through Python logging (so they
come out as JSON lines like everything else) instead of straight to stderr.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # re-exported at runtime

from common.settings import SharedSettings

log = logging.getLogger("hitstream.kafka")
# librdkafka's log lines, forwarded through Python logging (served on each client's poll).
LIBRDKAFKA_LOG = logging.getLogger("hitstream.kafka.librdkafka")


class TopicError(RuntimeError):
    """A topic could not be created or checked."""


def client_config(shared: SharedSettings, client_id: str) -> dict[str, Any]:
    """The librdkafka settings every client shares: where, who, how securely, where logs go."""
    config: dict[str, Any] = {
        "bootstrap.servers": shared.bootstrap_servers,
        "client.id": client_id,
        "security.protocol": shared.kafka_security_protocol,
        "logger": LIBRDKAFKA_LOG,
    }
    if shared.kafka_security_protocol.startswith("SASL"):
        config["sasl.mechanism"] = shared.kafka_sasl_mechanism
        config["sasl.username"] = shared.kafka_sasl_username or ""
        password = shared.kafka_sasl_password
        config["sasl.password"] = password.get_secret_value() if password else ""
    for key, path in (
        ("ssl.ca.location", shared.kafka_ssl_ca_location),
        ("ssl.certificate.location", shared.kafka_ssl_certificate_location),
        ("ssl.key.location", shared.kafka_ssl_key_location),
    ):
        if path is not None:
            config[key] = str(path)
    return config


def producer(shared: SharedSettings, client_id: str, **overrides: Any) -> Producer:
    """An idempotent, `acks=all` producer unless the caller says otherwise."""
    return Producer(
        {**client_config(shared, client_id), "enable.idempotence": True, "acks": "all", **overrides}
    )


def consumer(shared: SharedSettings, client_id: str, group_id: str, **overrides: Any) -> Consumer:
    """A consumer that never commits on its own: every caller commits when its work is durable."""
    return Consumer(
        {**client_config(shared, client_id), "group.id": group_id, "enable.auto.commit": False, **overrides}
    )


def admin(shared: SharedSettings, **overrides: Any) -> AdminClient:
    return AdminClient({**client_config(shared, "hitstream-admin"), **overrides})


def faust_credentials(shared: SharedSettings) -> Any:
    """The same security options for faust's aiokafka clients (None: plaintext)."""
    import faust

    protocol = shared.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context: ssl.SSLContext | None = None
    if protocol.endswith("SSL"):
        ca = shared.kafka_ssl_ca_location
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        cert, key = shared.kafka_ssl_certificate_location, shared.kafka_ssl_key_location
        if cert is not None:
            context.load_cert_chain(str(cert), str(key) if key else None)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = shared.kafka_sasl_password
    return faust.SASLCredentials(
        username=shared.kafka_sasl_username or "",
        password=password.get_secret_value() if password else "",
        ssl_context=context,
        mechanism=shared.kafka_sasl_mechanism,
    )


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
    ensure(shared, topic_specs(shared), timeout_s)


def ensure(shared: SharedSettings, specs: list[NewTopic], timeout_s: float = 30.0) -> None:
    client = admin(shared)
    try:
        existing = set(client.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise TopicError(f"Kafka at {shared.bootstrap_servers} did not answer: {exc}") from exc
    missing = [s for s in specs if s.topic not in existing]
    if not missing:
        return
    for name, fut in client.create_topics(missing, request_timeout=timeout_s).items():
        try:
            fut.result()
            log.info("created topic %s", name)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicError(f"could not create topic {name}: {exc}") from exc


def reachable(shared: SharedSettings, timeout_s: float = 5.0) -> bool:
    """Whether the brokers answer a metadata request within `timeout_s` (for quick CLI errors)."""
    try:
        admin(shared).list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return True
