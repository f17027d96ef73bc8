"""The page and its files: `/` and `/sites/{site}` serve `web/index.html`, `/static/…` the rest.

The page's own files come from `dashboard/web` (no directory listing, nothing under
`node_modules` or the npm manifests); uPlot comes from its npm package's `dist` folder under
`/static/vendor/uplot/`. Without `npm ci` that folder is missing, and the answer says so (503)
instead of a page that silently draws no chart.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from dashboard import pages
from dashboard.settings import WEB_DIR

_HIDDEN = ("node_modules", "package.json", "package-lock.json")
_INDEX = WEB_DIR / "index.html"


class PageFiles(StaticFiles):
    """The web folder minus what npm keeps there."""

    def get_path(self, scope: Scope) -> str:
        path: str = super().get_path(scope)
        if path.replace("\\", "/").lstrip("/").split("/")[0] in _HIDDEN:
            return "/nonexistent"  # answered 404 by StaticFiles
        return path


class VendorFiles:
    """uPlot's dist files, or a 503 page naming the install step that was skipped."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.directory.is_dir():
            response = pages.message(
                503, "Chart library not installed",
                f"uPlot is missing from {self.directory}: run `npm ci` in dashboard/web "
                "(`./run up` does it).",
            )  # fmt: skip
            await response(scope, receive, send)
            return
        await self.files(scope, receive, send)


def routes(uplot_dir: Path) -> list[BaseRoute]:
    return [
        Mount("/static/vendor/uplot", app=VendorFiles(uplot_dir)),
        Mount("/static", app=PageFiles(directory=WEB_DIR, check_dir=False)),
    ]


def _allowed(request: Request) -> frozenset[str] | None:
    return getattr(request.state, "allowed_sites", None)


async def index_page(request: Request) -> Response:
    allowed = _allowed(request)
    if allowed is not None and len(allowed) == 1:
        (only,) = allowed
        return RedirectResponse(f"/sites/{only}", status_code=303)  # a share link sees one site
    return FileResponse(_INDEX, media_type="text/html; charset=utf-8")


async def site_page(request: Request) -> Response:
    site_id: str = request.path_params["site"]
    allowed = _allowed(request)
    if request.app.state.catalog.get(site_id) is None or (allowed is not None and site_id not in allowed):
        return pages.message(404, "No such site", f"There is no site {site_id!r} to show here.")
    return FileResponse(_INDEX, media_type="text/html; charset=utf-8")
