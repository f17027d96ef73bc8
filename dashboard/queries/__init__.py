"""The dashboard's query layer: one `Reader` answers every question the page asks.

Each question lives in one module (`overview`, `figures`, `timeseries`, `breakdowns`); `scope`
decides which table can answer it (the rollups without a filter, `events` with one) and builds
the conditions, every value bound by ClickHouse as a `{name:Type}` parameter. `reader.Sql`
wraps the clickhouse-connect client: one lock when it is chDB, ClickHouse errors as
`QueryFailed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from clickhouse_connect.driver.client import Client

from dashboard.filters import Filter
from dashboard.periods import Period
from dashboard.queries.model import FIGURE_NAMES, Breakdown, BreakdownRow, Figures, SiteOverview
from dashboard.queries.reader import Sql

__all__ = ["FIGURE_NAMES", "Breakdown", "BreakdownRow", "Figures", "Reader", "SiteOverview"]


class Reader:
    """Answers the dashboard's questions; safe to share between threads."""

    def __init__(self, client: Client) -> None:
        self._sql = Sql(client)

    def ping(self) -> bool:
        """ClickHouse answers a query (for /readyz)."""
        return self._sql.ping()

    def sites_overview(self, site_ids: Sequence[str], now: datetime) -> dict[str, SiteOverview]:
        """Visitors and pageviews of the last 7 UTC days (today included), live visitors, daily trend."""
        raise NotImplementedError

    def figures(self, site: str, period: Period, filters: tuple[Filter, ...]) -> Figures:
        raise NotImplementedError

    def live(self, site: str) -> int:
        """Distinct visitors with a non-bot event in the last five minutes."""
        raise NotImplementedError

    def timeseries(
        self, site: str, period: Period, filters: tuple[Filter, ...], metric: str
    ) -> list[tuple[datetime, float]]:
        """One value per `period.buckets()`, zeros where nothing happened; metric is a figure name."""
        raise NotImplementedError

    def breakdown(
        self, site: str, period: Period, filters: tuple[Filter, ...], name: str, limit: int,
        event: str | None = None,
    ) -> Breakdown:  # fmt: skip
        raise NotImplementedError
