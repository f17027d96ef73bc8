"""Processor settings (`PROCESSOR_` prefix), resolved once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hitstream.settings import SharedSettings


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
    log_level: str = Field(default="info", description="Log level of the worker.")

    @property
    def state_path(self) -> Path:
        return self.data_dir or self.shared.state_dir / "faust" / str(self.web_port)


@cache
def get_settings() -> ProcessorSettings:
    return ProcessorSettings()
