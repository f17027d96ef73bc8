"""The sites registry: which sites exist, their vendor ids, domains and (hashed) API tokens.

Read from a JSON file managed with `hitstream sites …`; the file is re-read when its modification
time changes (checked at most once a second), so edits apply without a restart; a file that does
not parse at start-up stops the service, one that stops parsing later (an edit half saved) leaves
the sites as they were, with an error in the log, until it parses again. Tokens are stored
as SHA-256 digests: they are long random strings, so a fast hash is enough and the file never
holds a usable secret. The file's models live in `schemas.sites` (the dashboard reads the file too)
and are re-exported here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pydantic import ValidationError

from schemas.sites import (
    Site,
    SitesFile,
    Token,
    TokenKind,
    hash_token,
    normalise_host,
)

__all__ = ["Site", "SiteRegistry", "SitesFile", "Token", "TokenKind", "hash_token", "normalise_host"]

log = logging.getLogger(__name__)


class SiteRegistry:
    """Lookups by vendor id, hostname and token; reloads the file when it changes."""

    def __init__(self, path: Path, *, check_interval_s: float = 1.0) -> None:
        self._path = path
        self._check_interval_s = check_interval_s
        self._mtime: float | None = None
        self._checked_at = 0.0
        self._index(SitesFile())
        self._maybe_reload(force=True)

    def _index(self, data: SitesFile) -> None:
        self._by_swetrix = {s.swetrix_pid: s for s in data.sites if s.swetrix_pid}
        self._by_zta = {s.zta_site_id: s for s in data.sites if s.zta_site_id}
        self._by_host = {normalise_host(d): s for s in data.sites for d in s.domains}
        self._by_token = {t.sha256: (s, t) for s in data.sites for t in s.tokens}
        self._sites = data.sites

    def _maybe_reload(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < self._check_interval_s:
            return
        self._checked_at = now
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime == self._mtime:
            return
        try:
            data = (
                SitesFile.model_validate_json(self._path.read_bytes()) if mtime is not None else SitesFile()
            )
        except (OSError, ValidationError) as exc:
            if force:
                raise
            log.error("sites file %s does not parse; keeping the sites read before: %s", self._path, exc)
            self._mtime = mtime  # not read again until it changes
            return
        self._index(data)
        self._mtime = mtime

    @property
    def sites(self) -> tuple[Site, ...]:
        self._maybe_reload()
        return self._sites

    def by_swetrix_pid(self, pid: str) -> Site | None:
        self._maybe_reload()
        return self._by_swetrix.get(pid)

    def by_zta_site_id(self, site_id: str) -> Site | None:
        self._maybe_reload()
        return self._by_zta.get(site_id)

    def by_hostname(self, host: str) -> Site | None:
        self._maybe_reload()
        return self._by_host.get(normalise_host(host))

    def by_token(self, token: str) -> tuple[Site, Token] | None:
        self._maybe_reload()
        return self._by_token.get(hash_token(token))
