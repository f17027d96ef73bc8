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
from dashboard.queries import breakdowns, figures, overview, timeseries
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
        return overview.sites_overview(self._sql, site_ids, now)

    def figures(self, site: str, period: Period, filters: tuple[Filter, ...]) -> Figures:
        """Visitors, visits, pageviews, views per visit, bounce rate (0-1), visit duration (s)."""
        return figures.figures(self._sql, site, period, filters)

    def live(self, site: str) -> int:
        """Distinct visitors with a non-bot event in the last five minutes."""
        return overview.live(self._sql, [site]).get(site, 0)

    def timeseries(
        self, site: str, period: Period, filters: tuple[Filter, ...], metric: str
    ) -> list[tuple[datetime, float]]:
        """One value per `period.buckets()`, zeros where nothing happened; metric is a figure name."""
        return timeseries.timeseries(self._sql, site, period, filters, metric)

    def breakdown(
        self, site: str, period: Period, filters: tuple[Filter, ...], name: str, limit: int,
        event: str | None = None,
    ) -> Breakdown:  # fmt: skip
        """A ranked list (docs/dashboard.md's table); `event` names the custom event of `properties`."""
        return breakdowns.breakdown(self._sql, site, period, filters, name, limit, event)
