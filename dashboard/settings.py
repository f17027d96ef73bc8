"""Dashboard settings (`DASHBOARD_` prefix), resolved once per process.

Secrets never sit here in the clear: the login password is stored as a scrypt hash
(`hitstream dashboard password`), the session cookie key is derived from the shared secret
(HKDF, `common.crypto`), and share links keep only the SHA-256 of their token.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.crypto import derive_key
from common.settings import SharedSettings
from schemas.sites import default_sites_path

PASSWORD_FILE_NAME = "dashboard-password"
SHARE_LINKS_FILE_NAME = "dashboard-share-links.json"
WEB_DIR = Path(__file__).resolve().parent / "web"


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", frozen=True, extra="ignore")

    shared: SharedSettings = Field(default_factory=SharedSettings)
    host: str = Field(
        default="127.0.0.1",
        description="Address the dashboard binds. Any non-loopback address requires a password "
        "hash or at least one share link, or the service refuses to start.",
    )
    port: int = Field(default=8001, description="Port the dashboard binds.")
    sites_file: Path | None = Field(
        default=None,
        description="The sites file ingest reads (read-only here, reloaded on change). Unset: "
        "INGEST_SITES_FILE's default, <state dir>/sites.json.",
    )
    password_hash: SecretStr | None = Field(
        default=None,
        description="scrypt hash of the login password, as `hitstream dashboard password` prints "
        "it. Unset: read from <state dir>/dashboard-password if that file exists "
        "(`hitstream dashboard password --save`); neither: no login.",
    )
    share_links_file: Path | None = Field(
        default=None,
        description="Per-site read-only share links (token SHA-256 only), managed with `hitstream "
        "dashboard share`; re-read on change, so a revoked link stops at once. Unset: "
        "<state dir>/dashboard-share-links.json.",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Mark cookies Secure: auto = when the request came over TLS (the socket, or "
        "X-Forwarded-Proto: https from a trusted proxy); always (TLS terminated by a proxy "
        "that does not send it); never.",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated peers (IPs or CIDRs), e.g. your TLS-terminating proxy, whose "
        "X-Forwarded-Proto is believed.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, description="Lifetime of a login or share-link session cookie, in hours."
    )
    uplot_dir: Path | None = Field(
        default=None,
        description="Folder holding uPlot's dist files, served as /static/vendor/uplot/. Unset: "
        "dashboard/web/node_modules/uplot/dist, where `npm ci` (run by `./run up` and `./run test`) "
        "puts them.",
    )
    log_level: str = Field(default="info", description="Log level of the dashboard service.")
    server: Literal["granian", "uvicorn"] = Field(
        default="granian", description="HTTP server: granian (as ingest) or uvicorn."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(u.strip() for u in v.split(",") if u.strip())
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for net in v:
            ipaddress.ip_network(net, strict=False)  # a typo fails at start, not per request
        return v

    @property
    def sites_path(self) -> Path:
        return self.sites_file or default_sites_path(self.shared.state_dir)

    @property
    def share_links_path(self) -> Path:
        return self.share_links_file or self.shared.state_dir / SHARE_LINKS_FILE_NAME

    @property
    def uplot_path(self) -> Path:
        return self.uplot_dir or WEB_DIR / "node_modules" / "uplot" / "dist"

    @property
    def password_path(self) -> Path:
        return self.shared.state_dir / PASSWORD_FILE_NAME

    def password_hash_value(self) -> str | None:
        """The configured hash: the setting, else the file `password --save` wrote, else None."""
        if self.password_hash is not None:
            return self.password_hash.get_secret_value().strip() or None
        try:
            return self.password_path.read_text().strip() or None
        except FileNotFoundError:
            return None

    @property
    def session_key(self) -> bytes:
        return derive_key(self.shared.secret, "hitstream/dashboard-session/v1")

    @property
    def reader_dsn(self) -> str:
        return self.shared.clickhouse_reader_dsn

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


@cache
def get_settings() -> DashboardSettings:
    return DashboardSettings()
