"""URL helpers the vendor adapters share: hostnames, stripping, campaign parameters.

Parsing is cached per URL string: a site's traffic repeats the same pages, and one hit asks for
the host, path, parameters and stripped form of the same URL.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

KEPT_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref")


@lru_cache(maxsize=8192)
def _split(url: str) -> SplitResult | None:
    """The parts of an absolute http(s) URL with a host and a valid port, else None."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        _ = parts.port  # an invalid port raises here, not later while stripping
    except ValueError:
        return None
    return parts


def hostname(url: str) -> str | None:
    """Lower-cased hostname of an absolute http(s) URL, or None."""
    parts = _split(url)
    return parts.hostname if parts else None


def query_params(url: str) -> dict[str, str]:
    """First value of each query parameter (`utm_source`, `ref`, `hk_qr`, …)."""
    parts = _split(url)
    out: dict[str, str] = {}
    if parts is None:
        return out
    for k, v in parse_qsl(parts.query, keep_blank_values=False):
        out.setdefault(k, v)
    return out


def strip_url(url: str) -> str:
    """Scheme, host, path and only `utm_*`/`ref` parameters; no fragment, no credentials."""
    parts = _split(url)
    if parts is None:
        return ""
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k in KEPT_PARAMS]
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", urlencode(kept), ""))


def path_of(url: str) -> str:
    parts = _split(url)
    return (parts.path if parts else "") or "/"
