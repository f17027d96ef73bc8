"""Pure edits of the sites file (add, enable, tokens, …) and its atomic write.

Kept apart from the CLI so every rule (unique ids and vendor ids, one owner per hostname, tokens
shown once and stored as SHA-256) is tested without a terminal. Writing goes through a temporary
file and `os.replace`, so a running ingest never reads half a file; its mtime check picks the
new one up within a second.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from ingest.sites import Site, SitesFile, Token, TokenKind, hash_token, normalise_host

PREFIX: dict[TokenKind, str] = {"supalytics": "sly_", "hitkeep": "hk_"}
DEFAULT_PERMISSIONS: dict[TokenKind, tuple[str, ...]] = {"supalytics": (), "hitkeep": ("site.manage_data",)}


class SitesAdminError(ValueError):
    """An edit that would make the sites file ambiguous or refers to something absent."""


def load(path: Path) -> SitesFile:
    return SitesFile.model_validate_json(path.read_bytes()) if path.exists() else SitesFile()


def save(path: Path, data: SitesFile) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sites-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        f.write(data.model_dump_json(indent=2) + "\n")
    os.replace(tmp, path)


def _find(data: SitesFile, site_id: str) -> Site:
    for s in data.sites:
        if s.id == site_id:
            return s
    raise SitesAdminError(f"no site {site_id!r}")


def _replace(data: SitesFile, site: Site) -> SitesFile:
    return SitesFile(sites=tuple(site if s.id == site.id else s for s in data.sites))


def add_site(
    data: SitesFile,
    site_id: str,
    domains: list[str],
    swetrix_pid: str | None = None,
    zta_site_id: str | None = None,
) -> SitesFile:
    hosts = tuple(dict.fromkeys(normalise_host(d) for d in domains if d.strip()))
    for s in data.sites:
        if s.id == site_id:
            raise SitesAdminError(f"site {site_id!r} exists")
        if swetrix_pid and s.swetrix_pid == swetrix_pid:
            raise SitesAdminError(f"Swetrix pid {swetrix_pid!r} belongs to site {s.id!r}")
        if zta_site_id and s.zta_site_id == zta_site_id:
            raise SitesAdminError(f"ZTA siteId {zta_site_id!r} belongs to site {s.id!r}")
        taken = set(hosts) & {normalise_host(d) for d in s.domains}
        if taken:
            raise SitesAdminError(f"hostname {sorted(taken)[0]!r} belongs to site {s.id!r}")
    site = Site(id=site_id, domains=hosts, swetrix_pid=swetrix_pid or None, zta_site_id=zta_site_id or None)
    return SitesFile(sites=(*data.sites, site))


def set_active(data: SitesFile, site_id: str, active: bool) -> SitesFile:
    return _replace(data, _find(data, site_id).model_copy(update={"active": active}))


def remove_site(data: SitesFile, site_id: str) -> SitesFile:
    _find(data, site_id)
    return SitesFile(sites=tuple(s for s in data.sites if s.id != site_id))


MIN_TOKEN_LENGTH = 16


def check_token_value(data: SitesFile, kind: TokenKind, value: str) -> None:
    """Refuse a chosen token value the ingest could never match, or one already stored."""
    if kind == "supalytics" and not value.startswith(PREFIX[kind]):
        raise SitesAdminError(
            f"a Supalytics key must start with {PREFIX[kind]!r} (the ingest accepts only those)"
        )
    if len(value) < MIN_TOKEN_LENGTH:
        raise SitesAdminError(f"a token must be at least {MIN_TOKEN_LENGTH} characters long")
    if not (value.isascii() and value.isprintable()) or any(c.isspace() for c in value):
        raise SitesAdminError("a token must be printable ASCII without whitespace")
    digest = hash_token(value)
    for s in data.sites:
        for t in s.tokens:
            if t.sha256 == digest:
                raise SitesAdminError(f"this token value is already stored, as token {t.id} of site {s.id!r}")


def add_token(
    data: SitesFile,
    site_id: str,
    kind: TokenKind,
    permissions: tuple[str, ...] | None = None,
    value: str | None = None,
) -> tuple[SitesFile, str, Token]:
    """A new token: a random one, or `value` (an existing vendor key being imported). The plain
    value is returned once and only its SHA-256 is kept."""
    site = _find(data, site_id)
    if value is None:
        plain = PREFIX[kind] + secrets.token_urlsafe(32)
    else:
        check_token_value(data, kind, value)
        plain = value
    token = Token(
        id=f"{kind[:2]}_{secrets.token_hex(4)}",
        kind=kind,
        sha256=hash_token(plain),
        permissions=DEFAULT_PERMISSIONS[kind] if permissions is None else permissions,
    )
    site = site.model_copy(update={"tokens": (*site.tokens, token)})
    return _replace(data, site), plain, token


def revoke_token(data: SitesFile, token_id: str) -> SitesFile:
    for s in data.sites:
        kept = tuple(t for t in s.tokens if t.id != token_id)
        if len(kept) != len(s.tokens):
            return _replace(data, s.model_copy(update={"tokens": kept}))
    raise SitesAdminError(f"no token {token_id!r}")
