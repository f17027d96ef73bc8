"""The sites file's contract: which sites exist, their vendor ids, domains and (hashed) API tokens.

Ingest reads it to route and authenticate vendor calls (`ingest.sites`); the dashboard reads it
to know which sites there are (`dashboard.catalog`). Both stages import the models from here, so
neither imports the other. Tokens are stored as SHA-256 digests: they are long random strings, so
a fast hash is enough and the file never holds a usable secret.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TokenKind = Literal["supalytics", "hitkeep"]
SITES_FILE_NAME = "sites.json"


def default_sites_path(state_dir: Path) -> Path:
    """Where the sites file lives when no setting names it: one default for ingest and dashboard."""
    return state_dir / SITES_FILE_NAME


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


class Token(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short public handle for listing and revoking.")
    kind: TokenKind
    sha256: str
    permissions: tuple[str, ...] = ()


class Site(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    domains: tuple[str, ...] = Field(description="Hostnames (lower-case, no `www.`) that belong to the site.")
    active: bool = True
    swetrix_pid: str | None = None
    zta_site_id: str | None = None
    tokens: tuple[Token, ...] = ()


class SitesFile(BaseModel):
    sites: tuple[Site, ...] = ()
