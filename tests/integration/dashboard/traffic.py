"""Known traffic for the query layer's tests: the sink tests' realistic events (bench.sink_data:
two sites, sessions, anonymous pageviews, bots, custom events with properties, vendor-filtered
hits) over 45 days up to now, with regions, languages and hostnames varied per session so every
breakdown has more than one row. Loaded through the sink's own insert path."""

from __future__ import annotations

import hashlib
from datetime import datetime

from bench.sink_data import events
from schemas.events import EnrichedEvent

SITES = ("example", "shop")
LANGUAGES = ("en-US", "de-DE", "fr-FR")
HOSTS = ("{site}.com", "blog.{site}.com")


def _vary(e: EnrichedEvent) -> EnrichedEvent:
    if not e.session_id or e.session is None:
        return e
    h = int(hashlib.md5(e.session_id.encode()).hexdigest(), 16)
    region = f"{e.country}-{h % 3}" if e.country else None
    return e.model_copy(
        update={
            "region": region,
            "language": LANGUAGES[h % 3],
            "hostname": HOSTS[(h // 3) % 2].format(site=e.site_id),
            "session": e.session.model_copy(update={"region": region}),
        }
    )


def traffic(now: datetime, n: int = 12000, seed: int = 16) -> list[EnrichedEvent]:
    return [_vary(e) for e in events(n, seed=seed, end=now, days=45)]
