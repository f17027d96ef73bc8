"""Settings every service shares: where Kafka and ClickHouse are, topic names, local state.

Each service has its own frozen settings object (`ingest.settings`, `processors.settings`,
`sink.settings`) that embeds these under one `HITSTREAM_` prefix; the two connection strings keep
their conventional names (`KAFKA_BOOTSTRAP_SERVERS`, `CLICKHOUSE_URL`) so they can point every
component at an existing cluster. Nothing outside the settings modules reads the environment.
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_KAFKA_PORT = 9092


class SharedSettings(BaseSettings):
    """Connection and topic settings, identical for every service of one deployment."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka bootstrap servers. Unset: the local broker that `hitstream kafka start` "
        "runs on 127.0.0.1:9092.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL"),
        description="How every Kafka client (ingest, processors, sink, CLI) talks to the brokers.",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="PLAIN",
        validation_alias=AliasChoices("KAFKA_SASL_MECHANISM"),
        description="SASL mechanism when KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT or SASL_SSL.",
    )
    kafka_sasl_username: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME"), description="SASL user name."
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD"), description="SASL password."
    )
    kafka_ssl_ca_location: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_CA_LOCATION"),
        description="CA bundle (PEM) that signed the brokers' certificates. Unset: the system's.",
    )
    kafka_ssl_certificate_location: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_CERTIFICATE_LOCATION"),
        description="Client certificate (PEM) for brokers that require mutual TLS.",
    )
    kafka_ssl_key_location: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_SSL_KEY_LOCATION"),
        description="Private key (PEM) of the client certificate.",
    )
    clickhouse_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CLICKHOUSE_URL"),
        description="ClickHouse for the sink and migrations: `http(s)://user:pass@host:8123` for a server, "
        "`chdb:///path` for embedded chDB. Unset: `chdb://<state dir>/clickhouse`.",
    )
    clickhouse_query_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CLICKHOUSE_QUERY_URL"),
        description="Where readers (`hitstream query`, tests, analysts) send queries. Unset: CLICKHOUSE_URL "
        "when that is a server, else the sink's ClickHouse HTTP interface on http://127.0.0.1:8123 "
        "(chDB allows one process per data directory, and the sink owns it).",
    )
    clickhouse_database: str = Field(
        default="hitstream",
        validation_alias=AliasChoices("HITSTREAM_CLICKHOUSE_DATABASE"),
        description="ClickHouse database holding every hitstream table; created by migrations.",
    )
    topic_raw: str = Field(
        default="hits.raw",
        validation_alias=AliasChoices("HITSTREAM_TOPIC_RAW"),
        description="Canonical events from ingest (client IP encrypted).",
    )
    topic_enriched: str = Field(
        default="hits.enriched",
        validation_alias=AliasChoices("HITSTREAM_TOPIC_ENRICHED"),
        description="Enriched events from the processors, read by the sink.",
    )
    topic_dlq: str = Field(
        default="hits.dlq",
        validation_alias=AliasChoices("HITSTREAM_TOPIC_DLQ"),
        description="Dead letters from processors and sink, each with a reason header.",
    )
    topic_partitions: int = Field(
        default=6,
        ge=1,
        validation_alias=AliasChoices("HITSTREAM_TOPIC_PARTITIONS"),
        description="Partitions for the raw and enriched topics when hitstream creates them; bounds "
        "how many processor workers and sink consumers can share the load.",
    )
    topic_replication: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices("HITSTREAM_TOPIC_REPLICATION"),
        description="Replication factor for topics hitstream creates (use 3 on a real cluster).",
    )
    raw_retention_hours: int = Field(
        default=24,
        ge=1,
        validation_alias=AliasChoices("HITSTREAM_RAW_RETENTION_HOURS"),
        description="Retention of the raw topic; it carries encrypted IPs, so keep it short.",
    )
    state_dir: Path = Field(
        default=REPO_ROOT / ".hitstream",
        validation_alias=AliasChoices("HITSTREAM_STATE_DIR"),
        description="Git-ignored folder for local state: broker jars and data, chDB data, faust "
        "state, generated secret.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HITSTREAM_SECRET_KEY"),
        description="Base64 of 32 random bytes shared by ingest and processors: encrypts client IPs "
        "on the raw topic and keys the routing hash. Unset: generated once into <state dir>/secret.key "
        "(fine for one machine; set it explicitly everywhere else).",
    )

    @field_validator("state_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        # chdb:// URLs and Maven need absolute paths; a relative one would be read as a host name.
        return v.resolve()

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{LOCAL_KAFKA_PORT}"

    @property
    def uses_local_kafka(self) -> bool:
        return self.kafka_bootstrap_servers is None

    @property
    def clickhouse_dsn(self) -> str:
        return self.clickhouse_url or f"chdb://{self.state_dir / 'clickhouse'}"

    @property
    def clickhouse_reader_dsn(self) -> str:
        if self.clickhouse_query_url:
            return self.clickhouse_query_url
        if self.clickhouse_dsn.startswith("chdb:"):
            return "http://127.0.0.1:8123"
        return self.clickhouse_dsn

    @cached_property
    def secret(self) -> bytes:
        """The 32-byte master secret; subkeys are derived from it with HKDF (`common.crypto`)."""
        if self.secret_key is not None:
            raw = base64.b64decode(self.secret_key.get_secret_value())
            if len(raw) != 32:
                raise ValueError("HITSTREAM_SECRET_KEY must be base64 of exactly 32 bytes")
            return raw
        return _local_secret(self.state_dir / "secret.key")


def _local_secret(path: Path) -> bytes:
    """Read or create the machine-local secret, atomically, so concurrent services agree on it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # fails if another process won the race; theirs is kept
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return base64.b64decode(path.read_text().strip())
