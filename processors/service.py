"""Runs one faust worker for the processors app."""

from __future__ import annotations

from faust.worker import Worker

from hitstream.kafka_admin import ensure_topics


def run() -> None:
    from processors.app import app, settings

    ensure_topics(settings.shared)
    settings.state_path.mkdir(parents=True, exist_ok=True)
    Worker(app, loglevel=settings.log_level).execute_from_commandline()
