"""UTM parameters and `ref`: the vendor's own fields first, then the page URL's query string."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from processors.rules.urls import kept_query


@dataclass(frozen=True, slots=True)
class Campaign:
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    ref: str | None = None


@lru_cache(maxsize=16_384)
def from_url(url: str | None) -> Campaign:
    """The campaign parameters of a page URL (cached: a site's traffic repeats its pages)."""
    if not url:
        return Campaign()
    try:
        query = urlsplit(url).query if "://" in url else url.partition("?")[2]
    except ValueError:
        return Campaign()
    found: dict[str, str] = {}
    for k, v in kept_query(query.partition("#")[0]):
        found.setdefault(k.lower(), v[:256])
    return Campaign(**found)


def merge(sent: Campaign, url: Campaign) -> Campaign:
    """A value the vendor sent explicitly (ZTA `utm`, Swetrix `so`/`me`/`ca`) wins over the URL's."""
    return Campaign(
        utm_source=sent.utm_source or url.utm_source,
        utm_medium=sent.utm_medium or url.utm_medium,
        utm_campaign=sent.utm_campaign or url.utm_campaign,
        utm_term=sent.utm_term or url.utm_term,
        utm_content=sent.utm_content or url.utm_content,
        ref=sent.ref or url.ref,
    )
