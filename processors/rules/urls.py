"""Stored URLs keep scheme, host, path and only the `utm_*` and `ref` query parameters.

Query strings carry tokens, e-mail addresses and session ids often enough that keeping them by
default is a privacy bug; campaign parameters are what analytics needs. Fragments and userinfo
(`user:pass@`) are dropped too. Cleaning a clean URL is a no-op.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

KEPT_PARAMS = frozenset({"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref"})


def kept_query(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k.lower() in KEPT_PARAMS]


@lru_cache(maxsize=16_384)
def clean_url(url: str | None) -> str | None:
    """The URL without fragment, userinfo and non-campaign query values; None if not a URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    netloc = host if port is None else f"{host}:{port}"
    query = urlencode(kept_query(parts.query))
    # Trailing blanks before a dropped fragment would survive once and vanish on the next pass.
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip(), query, ""))


@lru_cache(maxsize=16_384)
def clean_path(path: str | None) -> str | None:
    """A path as sent by a vendor, with the same query rule applied."""
    if not path:
        return path
    base, _, rest = path.partition("#")[0].partition("?")
    query = urlencode(kept_query(rest))
    return f"{base}?{query}" if query else base
