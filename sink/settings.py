"""Sink settings (`SINK_` prefix), resolved once per process."""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import SharedSettings


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
    metrics_host: str = Field(
        default="127.0.0.1", description="Address of the sink's /metrics, /healthz, /readyz."
    )
    metrics_port: int = Field(
        default=9465,
        ge=0,
        description="Port of the sink's /metrics, /healthz and /readyz (0: pick a free one).",
    )
    retention_days: int = Field(
        default=0,
        ge=0,
        description="Keep raw rows in `events` this many days (a TTL applied at start-up); 0 keeps them "
        "forever. Sessions and rollups are not affected.",
    )
    retry_backoff_max_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest pause between retries of an insert ClickHouse could not take.",
    )
    dlq_spike_rows: int = Field(
        default=100,
        ge=0,
        description="Stop the sink when more than this many rows went to the DLQ within the spike window "
        "and they are more than SINK_DLQ_SPIKE_RATIO of the rows seen.",
    )
    dlq_spike_ratio: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of dead-lettered rows in the window that, with "
        "SINK_DLQ_SPIKE_ROWS, stops the sink.",
    )
    dlq_spike_window_seconds: float = Field(
        default=60.0, gt=0, description="Sliding window over which DLQ spikes are measured."
    )
    dedup_window_messages: int = Field(
        default=100_000,
        ge=1,
        description="Upstream duplicates are dropped by event_id within this many offsets of each "
        "enriched partition (a processor worker's redelivery after a crash lands within what it "
        "processed since its last commit: 58-78 offsets in the kill -9 runs, docs/reliability.md). "
        "Read back from the topic when a partition is assigned; ~19 MB per full window.",
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
