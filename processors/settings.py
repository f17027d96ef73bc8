"""Processor settings (`PROCESSOR_` prefix), resolved once per process."""

from __future__ import annotations

import socket
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import SharedSettings


class ProcessorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROCESSOR_", frozen=True, extra="ignore")

    shared: SharedSettings = Field(default_factory=SharedSettings)
    app_id: str = Field(
        default="hitstream-processors",
        description="faust application id: the consumer group and the prefix of changelog topics.",
    )
    data_dir: Path | None = Field(
        default=None, description="faust local state (RocksDB). Unset: <state dir>/faust/<worker port>."
    )
    web_port: int = Field(default=6066, description="faust web server port (health and metrics).")
    web_host: str = Field(default="127.0.0.1", description="faust web server bind address.")
    geoip_db: Path | None = Field(
        default=None, description="MaxMind-format .mmdb file (City or ASN). Unset: no IP geolocation."
    )
    geoip_asn_db: Path | None = Field(
        default=None, description="Optional second .mmdb with ASN data (GeoLite2-ASN); merged with geoip_db."
    )
    log_level: str = Field(default="info", description="Log level of the worker.")
    salt_topic: str | None = Field(
        default=None,
        description="Single-partition topic holding the daily visitor salts (48 h retention). "
        "Unset: `<app id>-salts`.",
    )
    lateness_seconds: int = Field(
        default=3600,
        ge=0,
        description="How late (by arrival) a hit may still join its visitor's day: a day's state is "
        "kept this long plus 1 h after the later of the day's end and its last event; a hit arriving "
        "after that starts afresh (docs/processors.md, lateness).",
    )
    bot_rate_window_seconds: int = Field(
        default=60,
        ge=1,
        description="Window of the behaviour bot rule (views and custom events per visitor).",
    )
    bot_rate_max_events: int = Field(
        default=120, ge=1, description="More views and custom events than this in one window flag a bot."
    )
    ua_cache_size: int = Field(default=20_000, ge=1, description="Parsed user agents kept in the LRU cache.")
    batch_events: int = Field(
        default=1_000, ge=1, description="Most raw events the hot path takes into one batch."
    )
    batch_wait_ms: float = Field(
        default=20.0,
        ge=0,
        description="Longest wait for more events once a batch has its first (a quiet stream's latency).",
    )
    live_window_seconds: int = Field(
        default=300, ge=1, description="A visitor is live while their session saw an event this recently."
    )

    @property
    def salt_topic_name(self) -> str:
        return self.salt_topic or f"{self.app_id}-salts"

    @property
    def advertised_host(self) -> str:
        """How other workers reach this one's web server (faust forwards table requests to the
        key's owner): the bind address, or the host name when bound to every interface."""
        if self.web_host in ("0.0.0.0", "::", ""):
            return socket.gethostname()
        return self.web_host

    @property
    def state_path(self) -> Path:
        return self.data_dir or self.shared.state_dir / "faust" / str(self.web_port)


@cache
def get_settings() -> ProcessorSettings:
    return ProcessorSettings()
