"""Sink settings (`SINK_` prefix), resolved once per process."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hitstream.settings import SharedSettings


class SinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SINK_", frozen=True, extra="ignore")

    shared: SharedSettings = Field(default_factory=SharedSettings)
    group_id: str = Field(default="hitstream-sink", description="Kafka consumer group of the sink.")
    batch_max_rows: int = Field(default=20_000, ge=1, description="Insert when this many rows are buffered.")
    batch_max_seconds: float = Field(
        default=1.0, gt=0, description="Insert at least this often when rows are waiting."
    )
    http_enabled: bool | None = Field(
        default=None,
        description="Serve the ClickHouse HTTP interface for readers. Unset: on when the sink owns "
        "an embedded chDB (CLICKHOUSE_URL is chdb://…), off for a server.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address of the ClickHouse HTTP interface.")
    http_port: int = Field(default=8123, description="Port of the ClickHouse HTTP interface.")
    http_readonly: bool = Field(
        default=True, description="Refuse writes through the HTTP interface (ClickHouse readonly=1)."
    )
    log_level: str = Field(default="INFO", description="Log level of the sink.")

    @property
    def serve_http(self) -> bool:
        if self.http_enabled is not None:
            return self.http_enabled
        return self.shared.clickhouse_dsn.startswith("chdb:")


@cache
def get_settings() -> SinkSettings:
    return SinkSettings()
