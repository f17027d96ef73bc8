"""What every vendor route does the same way: decode+validate in one step, credentials, bots."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ingest.errors import BadRequest
from ingest.http_types import Request

M = TypeVar("M", bound=BaseModel)
_MAX_ERRORS = 5


def parse(model: type[M], body: bytes) -> M:
    """One pass: pydantic's JSON parser decodes and validates; any failure is a 400 with a reason."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise BadRequest(describe(exc)) from exc


def describe(exc: ValidationError) -> str:
    """A readable reason naming the fields; never echoes input values."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    kinds = {e["type"] for e in errors}
    if "json_invalid" in kinds:
        return "Request body is not valid JSON"
    if any(e["type"] == "model_type" and not e["loc"] for e in errors):
        return "Request body must be a JSON object"
    parts = []
    for e in errors[:_MAX_ERRORS]:
        loc = ".".join(str(p)[:64] for p in e["loc"]) or "body"
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if e["type"] != "missing" else f"{loc} is required")
    return "; ".join(parts)


def bearer(req: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None."""
    value = req.header("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
