"""What the Reader answers: plain frozen values the API shapes into JSON and CSV."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

FIGURE_NAMES: tuple[str, ...] = (
    "visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration",
)  # fmt: skip


@dataclass(frozen=True)
class SiteOverview:
    """A site on the overview page: the last 7 UTC days (today included) and who is on it now."""

    visitors: int
    pageviews: int
    live: int
    trend: list[tuple[date, int, int]] = field(default_factory=list)  # (day, visitors, pageviews)


@dataclass(frozen=True)
class Figures:
    """Headline figures of one period: bounce_rate is 0-1, visit_duration seconds."""

    visitors: int
    visits: int
    pageviews: int
    views_per_visit: float
    bounce_rate: float
    visit_duration: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class BreakdownRow:
    """One ranked value: `key` for a property row, `vendor` for a filtered-hits row."""

    value: str
    count: int
    key: str | None = None
    vendor: str | None = None


@dataclass(frozen=True)
class Breakdown:
    """A ranked list; `total` counts the whole period's metric, not only the rows shown."""

    name: str
    dimension: str
    metric: str
    total: int
    rows: list[BreakdownRow]
