"""Runs one faust worker of the processors app (`hitstream process`)."""

from __future__ import annotations

import logging

import faust
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]  # re-exported at runtime
from faust.worker import Worker
from mode.utils.times import want_seconds

from common import logs
from common.kafka import ensure, ensure_topics
from processors.app import build
from processors.salts import topic_spec
from processors.settings import ProcessorSettings, get_settings

log = logging.getLogger("hitstream.processors")


def changelog_specs(app: faust.App) -> list[NewTopic]:
    """The tables' changelog topics as faust would declare them.

    faust's partition assignor ignores a changelog topic that does not exist yet when the group
    forms, and a table nobody has written to (`swetrix-sessions` is written from an HTTP view)
    may not exist at that moment: its keys then had no owner for the whole generation, and every
    Swetrix request was answered 503. Creating them before joining makes the first assignment
    complete."""
    specs = []
    for table in app.tables.values():
        topic = table.changelog_topic
        policy = [name for name, on in (("compact", topic.compacting), ("delete", topic.deleting)) if on]
        config = dict(topic.config or {})
        if policy:
            config["cleanup.policy"] = ",".join(policy)
        if topic.retention:
            config["retention.ms"] = str(int(want_seconds(topic.retention) * 1000))
        partitions = topic.partitions or app.conf.topic_partitions
        replicas = topic.replicas or app.conf.topic_replication_factor
        specs.append(NewTopic(topic.get_topic_name(), partitions, replicas, config=config))
    return specs


def run(settings: ProcessorSettings | None = None) -> None:
    """`hitstream process`: topics, then one faust worker in the foreground."""
    settings = settings or get_settings()
    processors = build(settings)
    ensure_topics(settings.shared)
    ensure(
        settings.shared,
        [
            topic_spec(settings.salt_topic_name, settings.shared.topic_replication),
            *changelog_specs(processors.app),
        ],
    )
    settings.state_path.mkdir(parents=True, exist_ok=True)
    if not processors.geo.enabled:
        log.warning("no GeoIP database configured (PROCESSOR_GEOIP_DB): country comes from time zones only")
    log.info("visitor salts on topic %s", settings.salt_topic_name)
    Worker(
        processors.app,
        loglevel=settings.log_level,
        logging_config=logs.dict_config(settings.log_level, "processors"),
    ).execute_from_commandline()
