"""Ingest settings (`INGEST_` prefix), resolved once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.settings import SharedSettings
from schemas.sites import default_sites_path


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
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated peers (IPs or CIDRs), e.g. your load balancer, whose "
        "X-Forwarded-For is believed for the client IP of browser calls (ZTA and Swetrix trackers).",
    )
    log_level: str = Field(default="info", description="Log level of the ingest service.")
    server: Literal["granian", "uvicorn"] = Field(
        default="granian",
        description="HTTP server: granian (RSGI, Rust hyper; chosen by measurement, "
        "docs/benchmarks.md#ingest) or uvicorn (ASGI on uvloop + httptools), the standard alternative.",
    )
    processor_urls: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("http://127.0.0.1:6066",),
        description="Comma-separated web URLs of the faust workers that hold Swetrix session state; "
        "any one will do (faust routes to the owner), the next is tried when one is unreachable.",
    )
    processor_timeout_s: float = Field(
        default=2.0, gt=0, description="Longest wait for a Swetrix session verdict from one worker."
    )
    supalytics_rate_per_s: int = Field(
        default=100, ge=1, description="Supalytics requests per second per API key (per process)."
    )
    hitkeep_rate_per_s: int = Field(
        default=200, ge=1, description="HitKeep requests per second per API token (per process)."
    )

    @field_validator("processor_urls", "trusted_proxies", mode="before")
    @classmethod
    def _split_urls(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(u.strip() for u in v.split(",") if u.strip())
        return v

    @property
    def sites_path(self) -> Path:
        return self.sites_file or default_sites_path(self.shared.state_dir)


@cache
def get_settings() -> IngestSettings:
    return IngestSettings()
