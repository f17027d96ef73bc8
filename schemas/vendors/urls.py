"""URL helpers the vendor adapters share: hostnames, stripping, campaign parameters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

KEPT_PARAMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref")


def hostname(url: str) -> str | None:
    """Lower-cased hostname of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    try:
        host = parts.hostname
        _ = parts.port  # an invalid port raises here, not later while stripping
    except ValueError:
        return None
    return host or None


def query_params(url: str) -> dict[str, str]:
    """First value of each query parameter (`utm_source`, `ref`, `hk_qr`, …)."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return {}
    out: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=False):
        out.setdefault(k, v)
    return out


def strip_url(url: str) -> str:
    """Scheme, host, path and only `utm_*`/`ref` parameters; no fragment, no credentials."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k in KEPT_PARAMS]
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", urlencode(kept), ""))


def path_of(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"
