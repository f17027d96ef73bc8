"""Bound parameters: every value a query needs becomes a `{pN:Type}` placeholder.

ClickHouse substitutes them on its side (clickhouse-connect sends them as `param_pN`), so no
value the client chose is ever part of the SQL text; the text itself is assembled only from
fragments the query modules hold in closed dictionaries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


class Params:
    """Collects a query's values and hands out their placeholders."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def bind(self, value: Any, type_: str) -> str:
        """The placeholder of `value` as the ClickHouse type `type_` (a literal of the caller's)."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{type_}}}"

    def text(self, value: str) -> str:
        return self.bind(value, "String")

    def day(self, value: date) -> str:
        return self.bind(value.isoformat(), "Date")

    def instant(self, value: datetime) -> str:
        """A UTC instant to the second, as DateTime('UTC') (bound as its Unix time)."""
        return f"toDateTime({self.bind(int(value.timestamp()), 'UInt32')}, 'UTC')"

    def mask(self, value: int) -> str:
        return self.bind(value, "UInt32")
