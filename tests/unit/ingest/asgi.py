"""Calls the ASGI app directly (no server), recording how much of the body it read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.server.asgi_uvicorn import IngestASGI


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_reads: int = 0


async def call(
    app: IngestASGI,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    chunk: int = 65_536,
) -> Answer:
    answer = Answer()
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]

    async def receive() -> dict[str, Any]:
        answer.body_reads += 1
        if not chunks:
            return {"type": "http.disconnect"}
        part = chunks.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer.body += message.get("body", b"")

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("198.51.100.7", 50000),
    }
    await app(scope, receive, send)
    return answer
