"""The dashboard's JSON and CSV API: what the page calls, shaped as docs/dashboard.md says.

Each route only parses its parameters into typed values (`dashboard.periods`, `dashboard.filters`),
asks the `Reader` (which binds them into its queries) and shapes the answer; so nothing the client
sends reaches SQL as text, and the page, the CSV files and an analyst's `curl` see the same numbers.
The Reader is synchronous (clickhouse-connect), so its calls run in Starlette's thread pool.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard import filters, periods
from dashboard.errors import BadParameter
from dashboard.filters import Filter
from dashboard.periods import Period
from dashboard.queries import Reader
from schemas.sites import Site

TIMEZONE = "UTC"
FIGURES = ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration")
_LIMIT_DEFAULT = 10
_LIMIT_MAX = 1000


class SiteNotFound(Exception):
    """No such site, or none this session may see; both answer 404 so a share link reveals nothing."""


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _reader(request: Request) -> Reader:
    reader: Reader = request.app.state.reader
    return reader


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _allowed(request: Request) -> frozenset[str] | None:
    return getattr(request.state, "allowed_sites", None)


def _site(request: Request) -> Site:
    site_id = request.path_params["site"]
    site: Site | None = request.app.state.catalog.get(site_id)
    allowed = _allowed(request)
    if site is None or (allowed is not None and site.id not in allowed):
        raise SiteNotFound(site_id)
    return site


def _period(request: Request) -> Period:
    q = request.query_params
    return periods.resolve(q.get("period"), q.get("from"), q.get("to"), _now(request))


def _filters(request: Request) -> tuple[Filter, ...]:
    return filters.parse(request.query_params.multi_items())


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return _LIMIT_DEFAULT
    if not raw.isdigit() or not 1 <= int(raw) <= _LIMIT_MAX:
        raise BadParameter("limit", f"limit must be a whole number from 1 to {_LIMIT_MAX}")
    return int(raw)


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadParameter("format", "format must be json or csv")
    return fmt == "csv"


def _filter_json(f: Filter) -> dict[str, str]:
    return {"dimension": f"prop.{f.key}" if f.dimension == "prop" else f.dimension, "value": f.value}


def _period_json(p: Period) -> dict[str, str]:
    return {"key": p.key, "label": p.label, "from": iso(p.start), "to": iso(p.end), "interval": p.interval}


def _change(value: float, previous: float) -> float | None:
    return None if not previous else round((value - previous) / previous, 4)


def csv_response(header: Sequence[str], rows: Sequence[Sequence[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def sites(request: Request) -> Response:
    catalog_sites: tuple[Site, ...] = request.app.state.catalog.all()
    allowed = _allowed(request)
    visible = [s for s in catalog_sites if allowed is None or s.id in allowed]
    now = _now(request)
    overview = await run_in_threadpool(_reader(request).sites_overview, [s.id for s in visible], now)
    rows = []
    for s in visible:
        o = overview[s.id]
        trend = [{"day": d.isoformat(), "visitors": v, "pageviews": pv} for d, v, pv in o.trend]
        rows.append(
            {"id": s.id, "domains": list(s.domains), "active": s.active, "visitors": o.visitors,
             "pageviews": o.pageviews, "live": o.live, "trend": trend}
        )  # fmt: skip
    return JSONResponse({"timezone": TIMEZONE, "sites": rows})


async def summary(request: Request) -> Response:
    site, period, fs = _site(request), _period(request), _filters(request)
    reader = _reader(request)
    now_figures = await run_in_threadpool(reader.figures, site.id, period, fs)
    before = await run_in_threadpool(reader.figures, site.id, period.previous(), fs)
    live = await run_in_threadpool(reader.live, site.id)
    current, previous = now_figures.as_dict(), before.as_dict()
    figures = {
        name: {
            "value": current[name],
            "previous": previous[name],
            "change": _change(current[name], previous[name]),
        }
        for name in FIGURES
    }
    prev = period.previous()
    return JSONResponse(
        {"site": site.id, "timezone": TIMEZONE, "period": _period_json(period),
         "previous": {"from": iso(prev.start), "to": iso(prev.end)},
         "filters": [_filter_json(f) for f in fs], "figures": figures, "live": live}
    )  # fmt: skip


def _metric(request: Request) -> str:
    metric = request.query_params.get("metric", "visitors")
    if metric not in FIGURES:
        raise BadParameter("metric", f"metric must be one of: {', '.join(FIGURES)}")
    return metric


async def timeseries(request: Request) -> Response:
    site, period, fs, metric = _site(request), _period(request), _filters(request), _metric(request)
    as_csv = _wants_csv(request)
    reader = _reader(request)
    points = await run_in_threadpool(reader.timeseries, site.id, period, fs, metric)
    before = await run_in_threadpool(reader.timeseries, site.id, period.previous(), fs, metric)
    previous = [v for _, v in before]
    rows = [(t, v, previous[i] if i < len(previous) else None) for i, (t, v) in enumerate(points)]
    if as_csv:
        return csv_response(
            ("time", metric, f"previous_{metric}"),
            [(iso(t), v, "" if p is None else p) for t, v, p in rows],
            f"{site.id}-{metric}-{period.key}.csv",
        )
    return JSONResponse(
        {"metric": metric, "interval": period.interval,
         "points": [{"t": iso(t), "value": v, "previous": p} for t, v, p in rows]}
    )  # fmt: skip


async def breakdown(request: Request) -> Response:
    site, period, fs = _site(request), _period(request), _filters(request)
    name, limit, as_csv = request.path_params["name"], _limit(request), _wants_csv(request)
    event = request.query_params.get("event")
    result = await run_in_threadpool(_reader(request).breakdown, site.id, period, fs, name, limit, event)
    total = result.total
    rows: list[dict[str, Any]] = []
    for r in result.rows:
        row: dict[str, Any] = {
            "value": r.value,
            "count": r.count,
            "share": round(r.count / total, 4) if total else 0,
        }
        if r.key is not None:
            row["key"] = r.key
        if r.vendor is not None:
            row["vendor"] = r.vendor
        rows.append(row)
    if as_csv:
        extra = [c for c in ("key", "vendor") if any(c in row for row in rows)]
        header = (*extra, "value", "count", "share")
        return csv_response(
            header, [[row.get(c, "") for c in header] for row in rows], f"{site.id}-{name}-{period.key}.csv"
        )
    return JSONResponse(
        {
            "name": result.name,
            "dimension": result.dimension,
            "metric": result.metric,
            "total": total,
            "rows": rows,
        }
    )


Handler = Callable[[Request], Awaitable[Response]]


def _answers_errors(handler: Handler) -> Handler:
    """A bad parameter is the client's mistake (400 naming it), an unknown site a 404; in JSON."""

    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BadParameter as exc:
            return JSONResponse({"error": exc.message, "parameter": exc.parameter}, status_code=400)
        except SiteNotFound as exc:
            return JSONResponse({"error": f"no such site: {exc}", "parameter": "site"}, status_code=404)

    return wrapped


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/sites", _answers_errors(sites)),
        Route("/api/sites/{site}/summary", _answers_errors(summary)),
        Route("/api/sites/{site}/timeseries", _answers_errors(timeseries)),
        Route("/api/sites/{site}/breakdown/{name}", _answers_errors(breakdown)),
    ]
