"""Dashboard filters: `f.<dimension>=<value>` URL parameters parsed into typed, closed values.

A filter names one of the breakdown dimensions (docs/dashboard.md) or a custom-event property
(`f.prop.<key>`); its value is free text that only ever reaches ClickHouse as a bound parameter.
Which column a dimension reads, and whether it describes an event or its session, is decided by
the query layer from this closed list, never from the text the client sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.errors import BadParameter

PREFIX = "f."
PROP = "prop"  # Filter.dimension of `f.prop.<key>`; the key is in Filter.key
MAX_VALUE_CHARS = 2000
MAX_FILTERS = 20

# What an event says about itself: the events counted are those that match.
EVENT_DIMENSIONS: tuple[str, ...] = ("page", "hostname", "language", "event")
# What the session says (its first event, entry or exit page): the sessions counted are those that match.
SESSION_DIMENSIONS: tuple[str, ...] = (
    "entry_page", "exit_page", "channel", "referrer", "utm_source", "utm_medium", "utm_campaign",
    "country", "region", "city", "device", "browser", "os",
)  # fmt: skip
DIMENSIONS: tuple[str, ...] = (
    "page", "entry_page", "exit_page", "hostname", "language", "event", "channel", "referrer",
    "utm_source", "utm_medium", "utm_campaign", "country", "region", "city", "device", "browser", "os",
)  # fmt: skip


@dataclass(frozen=True)
class Filter:
    """One `dimension = value` condition; `key` is the property key when dimension is `prop`."""

    dimension: str
    value: str
    key: str | None = None

    @property
    def name(self) -> str:
        """The dimension as the URL spells it (`prop.<key>` for a property)."""
        return f"{PROP}.{self.key}" if self.dimension == PROP else self.dimension

    @property
    def session_scoped(self) -> bool:
        return self.dimension in SESSION_DIMENSIONS


def _check_text(parameter: str, text: str, what: str) -> None:
    if len(text) > MAX_VALUE_CHARS:
        raise BadParameter(parameter, f"a filter {what} may be at most {MAX_VALUE_CHARS} characters")
    if "\x00" in text:
        raise BadParameter(parameter, f"a filter {what} may not contain a NUL character")


def _one(name: str, value: str) -> Filter:
    parameter = PREFIX + name
    _check_text(parameter, value, "value")
    if name.startswith(PROP + "."):
        key = name[len(PROP) + 1 :]
        if not key:
            raise BadParameter(parameter, "a property filter needs a key: f.prop.<key>=<value>")
        _check_text(parameter, key, "key")
        return Filter(PROP, value, key)
    if name not in DIMENSIONS:
        raise BadParameter(parameter, f"filter dimension must be one of: {', '.join(DIMENSIONS)}, prop.<key>")
    return Filter(name, value)


def parse(params: Iterable[tuple[str, str]]) -> tuple[Filter, ...]:
    """The filters among URL parameters, in order, each once; every other parameter is ignored."""
    out: list[Filter] = []
    for name, value in params:
        if not name.startswith(PREFIX):
            continue
        f = _one(name[len(PREFIX) :], value)
        if f not in out:
            out.append(f)
    if len(out) > MAX_FILTERS:
        raise BadParameter("filters", f"at most {MAX_FILTERS} filters at once")
    return tuple(out)
