"""Runs the ingest service: uvicorn (uvloop + httptools) serving `IngestApp`."""

from __future__ import annotations

import uvicorn

from hitstream.kafka_admin import ensure_topics
from ingest.app import IngestApp
from ingest.settings import IngestSettings, get_settings


def run(settings: IngestSettings | None = None) -> None:
    settings = settings or get_settings()
    ensure_topics(settings.shared)
    uvicorn.run(
        IngestApp(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level=settings.log_level,
        access_log=False,  # access logs would carry client IPs
        timeout_graceful_shutdown=15,
    )
