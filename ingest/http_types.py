"""Server-neutral request and response types.

Routes see only these, never the ASGI scope or RSGI's protocol, so the serving stack can change
(granian, uvicorn) without touching vendor logic, and routes are tested by calling them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    peer_ip: str | None
    query: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, orjson.dumps(payload), [("content-type", "application/json"), *(headers or [])])

    @classmethod
    def empty(cls, status: int, headers: list[tuple[str, str]] | None = None) -> Response:
        return cls(status, b"", list(headers or []))
