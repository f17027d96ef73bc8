"""Ingest settings (`INGEST_` prefix), resolved once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hitstream.settings import SharedSettings


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", frozen=True, extra="ignore")

    shared: SharedSettings = Field(default_factory=SharedSettings)
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8000, description="Port the HTTP server binds.")
    sites_file: Path | None = Field(
        default=None,
        description="Sites, vendor ids, domains and hashed tokens (JSON, managed with "
        "`hitstream sites`). Unset: <state dir>/sites.json.",
    )
    publish_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for Kafka to acknowledge an event before answering 503 with Retry-After.",
    )
    queue_max_messages: int = Field(
        default=100_000, ge=1, description="Producer queue bound; when full, requests get 503 at once."
    )
    linger_ms: int = Field(default=5, ge=0, description="Producer batching delay (librdkafka linger.ms).")
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="Peers (IPs or CIDRs) whose X-Forwarded-For is believed for the client IP.",
    )
    log_level: str = Field(default="info", description="Log level of the ingest service.")

    @property
    def sites_path(self) -> Path:
        return self.sites_file or self.shared.state_dir / "sites.json"


@cache
def get_settings() -> IngestSettings:
    return IngestSettings()
