"""Runs one faust worker for the processors app."""

from __future__ import annotations

from faust.worker import Worker

from hitstream import logs
from hitstream.kafka_admin import ensure, ensure_topics
from processors.salts import topic_spec


def run() -> None:
    from processors.agent import startup_report
    from processors.app import app, settings

    ensure_topics(settings.shared)
    ensure(
        settings.shared.bootstrap_servers,
        [topic_spec(settings.salt_topic_name, settings.shared.topic_replication)],
    )
    settings.state_path.mkdir(parents=True, exist_ok=True)
    startup_report()
    Worker(
        app, loglevel=settings.log_level, logging_config=logs.dict_config(settings.log_level, "processors")
    ).execute_from_commandline()
