"""The ingest exception tree, and the one place that turns an error into an HTTP answer.

    IngestError                 base: a request ingest will not accept (always a 4xx or 503)
    ├── BadRequest              malformed JSON, wrong types, missing or invalid fields (400)
    ├── Unauthorized            missing or wrong credentials (401)
    ├── Forbidden               valid caller, not allowed (403: origin, permission, Swetrix repeat)
    ├── NotFound                unknown site or path (404)
    ├── MethodNotAllowed        a known path with the wrong method (405)
    ├── PayloadTooLarge         body over the route's cap (413, or the vendor's own status)
    ├── RateLimited             over a per-key or per-caller limit (429)
    └── Unavailable             Kafka or the session service did not answer in time (503)

The status comes from the class; the body from the vendor's documented error shape (`Shape`),
so every route, the 404 of an unknown path and the 405 of a wrong method are rendered alike.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from ingest.http_types import Response


class IngestError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        reasons: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or []
        # Set for a body that failed validation: one entry per problem (NestJS lists them).
        self.reasons = reasons


class BadRequest(IngestError):
    status = 400


class Unauthorized(IngestError):
    status = 401


class Forbidden(IngestError):
    status = 403


class NotFound(IngestError):
    status = 404


class MethodNotAllowed(IngestError):
    status = 405


class PayloadTooLarge(IngestError):
    status = 413


class RateLimited(IngestError):
    status = 429


class Unavailable(IngestError):
    status = 503


class Shape(StrEnum):
    """A vendor's error body, as its docs (or, where they are silent, its server) show it."""

    PLAIN = "plain"  # {"error": "…"}: Zero Trust Analytics, Supalytics, hitstream's own paths
    SIMPLE_ANALYTICS = "simple_analytics"  # {"success": false, "error": "…"}
    NESTJS = "nestjs"  # Swetrix: {"message": "…" | ["…"], "error": "Bad Request", "statusCode": 400}
    HITKEEP = "hitkeep"  # {"message": "…"}


_NEST_PHRASES = {413: "Payload Too Large"}  # NestJS's names where Python's differ


def _nestjs(err: IngestError) -> dict[str, Any]:
    message: str | list[str] = err.reasons if err.reasons is not None else err.message
    phrase = _NEST_PHRASES.get(err.status) or HTTPStatus(err.status).phrase
    return {"message": message, "error": phrase, "statusCode": err.status}


_BODIES: dict[Shape, Callable[[IngestError], dict[str, Any]]] = {
    Shape.PLAIN: lambda err: {"error": err.message},
    Shape.SIMPLE_ANALYTICS: lambda err: {"success": False, "error": err.message},
    Shape.NESTJS: _nestjs,
    Shape.HITKEEP: lambda err: {"message": err.message},
}


def render(err: IngestError, shape: Shape) -> Response:
    """The answer to `err` in a vendor's shape, with the error's own headers."""
    return Response.json(err.status, _BODIES[shape](err), err.headers)
