"""The Swetrix session endpoint: any worker accepts the request, the key's owner decides.

faust's `app.table_route` forwards a request without its body (faust-streaming 0.15.3,
`Router._route_req` copies method, headers and URL only), and our contract is a JSON POST, so
this view uses faust's routing table (`app.router.key_store`, the same lookup `table_route`
uses) and forwards the body itself. A forwarded request carries `X-Hitstream-Forwarded`; a worker
that receives one for a key it does not own (a rebalance in flight) answers 503 instead of
forwarding again, and ingest retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
import faust
from faust.types import TableT
from faust.web import Request, Response, View
from pydantic import ValidationError
from yarl import URL

from processors.faust_internals import ensure_changelog_metadata
from processors.rules.swetrix_sessions import SwetrixSession, decide, expired
from schemas.swetrix_sessions import SESSION_PATH, SessionTouch

log = logging.getLogger("hitstream.processors.swetrix")
FORWARDED = "X-Hitstream-Forwarded"


def _ident(url: URL) -> tuple[str, int]:
    return (url.host or "", int(url.port or 80))


def install(app: faust.App, table: TableT[bytes, Any]) -> None:
    """Register the view and the expiry timer for the Swetrix session table."""

    @app.page(SESSION_PATH)
    class SwetrixSessionView(View):
        async def post(self, request: Request) -> Response:
            body = await request.read()
            try:
                touch = SessionTouch.model_validate_json(body)
            except ValidationError as exc:
                return self.json({"error": f"invalid session touch: {exc.errors()[0]['msg']}"}, status=400)
            key = touch.key.encode()
            await ensure_changelog_metadata(app, table)
            try:
                owner = app.router.key_store(table.name, key)
            except KeyError:
                return _unavailable(self, "partition not assigned yet")
            if _ident(owner) != _ident(URL(str(app.conf.canonical_url))):
                if request.headers.get(FORWARDED):
                    return _unavailable(self, "key owner changed during a rebalance")
                return await _forward(self, app, owner, body)
            return self.json(_decide_here(table, key, touch))

    @app.timer(interval=60.0)  # type: ignore[untyped-decorator]
    async def _expire_swetrix_sessions() -> None:
        """Sessions that can never be live again leave the table, so it stays small."""
        now = datetime.now(UTC)
        stale = [k for k, v in list(table.items()) if expired(SwetrixSession.from_json(v), now)]
        for k in stale:
            table.pop(k, None)


def _decide_here(table: TableT[bytes, Any], key: bytes, touch: SessionTouch) -> dict[str, Any]:
    raw = table.get(key)
    state = SwetrixSession.from_json(raw) if raw is not None else None
    verdict, new_state = decide(state, touch)
    if new_state is not None and new_state != state:
        table[key] = new_state.to_json()
    return verdict.model_dump()


def _unavailable(view: View, why: str) -> Response:
    response: Response = view.json({"error": why}, status=503)
    response.headers["Retry-After"] = "1"
    return response


async def _forward(view: View, app: faust.App, owner: URL, body: bytes) -> Response:
    url = owner.with_path(SESSION_PATH)
    try:
        async with app.http_client.post(
            url, data=body, headers={"Content-Type": "application/json", FORWARDED: "1"}
        ) as resp:
            payload = await resp.read()
            return view.bytes(payload, content_type="application/json", status=resp.status)
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("forwarding a Swetrix session touch to its owner failed: %s", exc)
        return _unavailable(view, "key owner unreachable")
