"""Language tags normalised to BCP 47 case (`en-gb` → `en-GB`); anything else → None.

A strict, small check (language 2–3 letters, optional 4-letter script, optional 2-letter or
3-digit region; `_` accepted as a separator; Accept-Language style lists take the first entry)
rather than a full registry lookup: browsers send `navigator.language`, and the goal is clean
grouping in reports, not validating every registered subtag.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TAG = re.compile(r"^([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|\d{3}))?(?:-.*)?$")


@lru_cache(maxsize=4096)
def normalize_language(raw: str | None) -> str | None:
    if not raw:
        return None
    first = raw.split(",", 1)[0].split(";", 1)[0].strip().replace("_", "-").lower()
    if len(first) > 35:
        return None
    m = _TAG.match(first)
    if m is None or first in ("und", "xx"):
        return None
    lang, script, region = m.groups()
    parts = [lang]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)
