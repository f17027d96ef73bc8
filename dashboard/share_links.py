"""Per-site read-only share links: a random token in a URL, only its SHA-256 on disk.

`hitstream dashboard share create <site>` writes a link to the share-links file (JSON, atomic
replace) and prints the token once; the dashboard re-reads the file whenever its modification
time or size changes, checked on every request that uses a link, so a revoked link (and every
session it opened) is refused at once.
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.sites import hash_token

TOKEN_PREFIX = "hsd_"


class ShareLinkError(ValueError):
    """The share-links file cannot be read, or a link to revoke does not exist."""


class ShareLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    site: str
    sha256: str
    created: datetime


class ShareLinksFile(BaseModel):
    links: tuple[ShareLink, ...] = ()


def load(path: Path) -> ShareLinksFile:
    try:
        return ShareLinksFile.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return ShareLinksFile()
    except (OSError, ValidationError) as exc:
        raise ShareLinkError(f"share-links file {path} does not parse: {exc}") from exc


def save(path: Path, data: ShareLinksFile) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(data.model_dump_json(indent=2) + "\n")
    tmp.chmod(0o600)
    os.replace(tmp, path)


def create(path: Path, site: str, now: datetime | None = None) -> tuple[ShareLink, str]:
    """Add a link to `site`; returns it and its token (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    link = ShareLink(
        id=secrets.token_hex(4), site=site, sha256=hash_token(token), created=now or datetime.now(UTC)
    )
    data = load(path)
    save(path, ShareLinksFile(links=(*data.links, link)))
    return link, token


def revoke(path: Path, link_id: str) -> ShareLink:
    data = load(path)
    gone = [x for x in data.links if x.id == link_id]
    if not gone:
        raise ShareLinkError(f"no share link with id {link_id!r}")
    save(path, ShareLinksFile(links=tuple(x for x in data.links if x.id != link_id)))
    return gone[0]


@dataclass(frozen=True)
class _Snapshot:
    stamp: tuple[int, int] | None
    by_hash: dict[str, ShareLink]
    by_id: dict[str, ShareLink]


class ShareLinkStore:
    """The links the dashboard honours, from the file as it is now (a stat per lookup)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._snap = _Snapshot(None, {}, {})
        self._refresh(strict=True)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _refresh(self, strict: bool = False) -> _Snapshot:
        stamp = self._stamp()
        with self._lock:
            if stamp == self._snap.stamp and (stamp is not None or not strict):
                return self._snap
            try:
                links = load(self._path).links
            except ShareLinkError:
                if strict:
                    raise
                links = ()  # a broken file honours no link: failing closed is the safe side
            self._snap = _Snapshot(stamp, {x.sha256: x for x in links}, {x.id: x for x in links})
            return self._snap

    def by_token(self, token: str) -> ShareLink | None:
        return self._refresh().by_hash.get(hash_token(token))

    def by_id(self, link_id: str) -> ShareLink | None:
        return self._refresh().by_id.get(link_id)

    def any(self) -> bool:
        return bool(self._refresh().by_id)
