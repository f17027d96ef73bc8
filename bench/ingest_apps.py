"""Servers the ingest benchmark starts: trivial handlers on each stack, and a session-verdict stub.

The trivial handlers read the body and answer 200 `{}`: the ceiling of the HTTP stack itself,
against which the real ingest (validation, encryption, Kafka acknowledgement) is compared.
"""

from __future__ import annotations

import sys
from typing import Any

_OK = b"{}"
_JSON = [("content-type", "application/json")]


class TrivialRSGI:
    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        await proto()
        proto.response_bytes(200, _JSON, _OK)


async def trivial_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": _OK})


def trivial_rsgi() -> TrivialRSGI:
    return TrivialRSGI()


def session_stub(port: int) -> None:
    """Accepts every Swetrix session touch, as a live session would (the processors' cost excluded)."""
    from aiohttp import web

    async def verdict(_request: web.Request) -> web.Response:
        await _request.read()
        return web.Response(body=b'{"accept":true,"reason":null}', content_type="application/json")

    app = web.Application()
    app.router.add_post("/swetrix/session/", verdict)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":  # python -m bench.ingest_apps <port>
    session_stub(int(sys.argv[1]))
