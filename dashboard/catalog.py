"""The sites the dashboard shows: the sites file ingest reads, read-only, re-read when it changes.

A file that does not parse at start-up stops the service; one that stops parsing later (an edit
half saved) keeps the sites read before, with an error in the log, as ingest does. The file is
checked at most once a second, so a busy page does not stat it per API call.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from pydantic import ValidationError

from schemas.sites import Site, SitesFile

log = logging.getLogger(__name__)


class SiteCatalog:
    def __init__(self, path: Path, *, check_interval_s: float = 1.0) -> None:
        self._path = path
        self._interval = check_interval_s
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._sites: tuple[Site, ...] = ()
        self._by_id: dict[str, Site] = {}
        self._reload(force=True)

    @classmethod
    def of(cls, *sites: Site) -> SiteCatalog:
        """A fixed catalogue (tests, benchmarks): no file behind it."""
        catalog = cls(Path("/nonexistent/hitstream-sites.json"), check_interval_s=float("inf"))
        catalog._set(sites)
        return catalog

    def _set(self, sites: tuple[Site, ...]) -> None:
        self._sites = sites
        self._by_id = {s.id: s for s in sites}

    def _reload(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self._interval:
            return
        with self._lock:
            self._checked = now
            try:
                st = self._path.stat()
                stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                stamp = None
            if stamp == self._stamp and not force:
                return
            try:
                data = SitesFile.model_validate_json(self._path.read_bytes()) if stamp else SitesFile()
            except (OSError, ValidationError) as exc:
                if force:
                    raise
                log.error("sites file %s does not parse; keeping the sites read before: %s", self._path, exc)
                self._stamp = stamp
                return
            self._set(data.sites)
            self._stamp = stamp

    def all(self) -> tuple[Site, ...]:
        self._reload()
        return self._sites

    def get(self, site_id: str) -> Site | None:
        self._reload()
        return self._by_id.get(site_id)
