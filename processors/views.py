"""Web views besides Swetrix sessions: health (`/healthz`, `/readyz`), Prometheus `/metrics`
and live visitors (`/live/`)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from yarl import URL

from processors import faust_internals
from processors.live import LiveVisitors


def install(app: faust.App, live: LiveVisitors) -> None:
    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Ready(View):
        """Ready: partitions assigned, no rebalance under way, table state recovered."""

        async def get(self, request: Request) -> Response:
            assigned = bool(app.consumer.assignment())
            recovering = faust_internals.recovering(app)
            ready = assigned and not app.rebalancing and not recovering
            return self.json(
                {"ready": ready, "assigned_partitions": len(app.consumer.assignment())},
                status=200 if ready else 503,
            )

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/live/local/")
    class LiveLocal(View):
        async def get(self, request: Request) -> Response:
            return self.json(live.counts(time.time()))

    @app.page("/live/")
    class LiveAll(View):
        """Live visitors per site across all workers (`?site=` narrows to one site)."""

        async def get(self, request: Request) -> Response:
            totals: dict[str, int] = {}
            for part in await asyncio.gather(*(_local(app, url) for url in _workers(app))):
                for name, n in part.items():
                    totals[name] = totals.get(name, 0) + n
            site: str | None = request.query.get("site")
            if site is not None:
                return self.json({"site": site, "live_visitors": totals.get(site, 0)})
            return self.json(totals)


def _workers(app: faust.App) -> set[URL]:
    urls = {URL(str(u)) for u in app.router.tables_metadata()}
    urls.add(URL(str(app.conf.canonical_url)))
    return urls


async def _local(app: faust.App, url: URL) -> dict[str, int]:
    try:
        async with app.http_client.get(url.with_path("/live/local/"), timeout=aiohttp.ClientTimeout(5)) as r:
            data = await r.json()
            return {str(k): int(v) for k, v in data.items()}
    except (TimeoutError, aiohttp.ClientError, ValueError):
        return {}
