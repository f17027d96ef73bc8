"""The ingest exception tree and the one place that turns it into HTTP answers.

    IngestError                 base: a request ingest will not accept (always a 4xx or 503)
    ├── BadRequest              malformed JSON, wrong types, missing or invalid fields (400)
    ├── Unauthorized            missing or wrong credentials (401)
    ├── Forbidden               valid caller, not allowed (403: origin, permission, Swetrix repeat)
    ├── NotFound                unknown site (404)
    ├── MethodNotAllowed        a known path with the wrong method (405)
    ├── PayloadTooLarge         body over the route's cap (413, or the vendor's own status)
    ├── RateLimited             over a per-key or per-caller limit (429)
    └── Unavailable             Kafka did not acknowledge in time (503 + Retry-After)

Each vendor renders these in its documented error shape (`VendorDialect.render_error`).
"""

from __future__ import annotations


class IngestError(Exception):
    status = 400

    def __init__(self, message: str, *, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or []


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
