"""HTTP/1.1 response bytes for `ingest.httpserver`: one buffer per answer, a cached Date line."""

from __future__ import annotations

import time
from email.utils import formatdate
from http import HTTPStatus

from ingest.http import Response

_STATUS: dict[int, bytes] = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}
_date_cache: list[object] = [0, b""]


def _date() -> bytes:
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0] = now
        _date_cache[1] = f"date: {formatdate(now, usegmt=True)}\r\n".encode()
    return _date_cache[1]  # type: ignore[return-value]


def encode(resp: Response, keep_alive: bool, head: bool = False) -> bytes:
    """One write per response: status line, headers, content-length, connection, body."""
    status = _STATUS.get(resp.status) or f"HTTP/1.1 {resp.status} Unknown\r\n".encode()
    parts = [status]
    parts += [f"{k}: {v}\r\n".encode("latin-1") for k, v in resp.headers]
    parts.append(b"content-length: %d\r\n" % len(resp.body))
    parts.append(b"connection: keep-alive\r\n" if keep_alive else b"connection: close\r\n")
    parts.append(_date())
    parts.append(b"\r\n")
    if not head:
        parts.append(resp.body)
    return b"".join(parts)


def error_response(status: int, message: str) -> Response:
    return Response(status, b'{"error":"%s"}' % message.encode(), [("content-type", "application/json")])
