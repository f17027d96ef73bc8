"""What every vendor route does the same way: decode+validate in one step, credentials, browsers."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ingest.errors import BadRequest
from ingest.http_types import Request

M = TypeVar("M", bound=BaseModel)
_MAX_ERRORS = 5


def parse(model: type[M], body: bytes, *, wording: Wording = "plain") -> M:
    """One pass: pydantic's JSON parser decodes and validates; any failure is a 400 with a reason."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise invalid(exc, wording=wording) from exc


def invalid(exc: ValidationError, *, wording: Wording = "plain") -> BadRequest:
    """A 400 naming the fields that failed (never echoing input values), one reason per field."""
    reasons = describe(exc, wording=wording)
    return BadRequest("; ".join(reasons), reasons=reasons if _is_field_error(exc) else None)


def _is_field_error(exc: ValidationError) -> bool:
    return not any(e["type"] == "json_invalid" or not e["loc"] for e in exc.errors())


Wording = Literal["plain", "class-validator"]


def describe(exc: ValidationError, *, wording: Wording = "plain") -> list[str]:
    """`plain`: "pid is required", "value: Input should be a valid number". `class-validator`: the
    messages of the validation library NestJS apps (Swetrix) answer with, "pid should not be empty"."""
    errors = exc.errors(include_url=False, include_input=False)
    kinds = {e["type"] for e in errors}
    if "json_invalid" in kinds:
        return ["Request body is not valid JSON"]
    if any(e["type"] == "model_type" and not e["loc"] for e in errors):
        return ["Request body must be a JSON object"]
    reason = _class_validator if wording == "class-validator" else _plain
    return [reason(e) for e in errors[:_MAX_ERRORS]]


def _field(e: Any) -> str:
    return ".".join(str(p)[:64] for p in e["loc"]) or "body"


def _plain(e: Any) -> str:
    if e["type"] == "missing":
        return f"{_field(e)} is required"
    return f"{_field(e)}: {e['msg'].removeprefix('Value error, ')}"


_CLASS_VALIDATOR = {
    "missing": "{field} should not be empty",
    "string_type": "{field} must be a string",
    "string_too_short": "{field} should not be empty",
    "bool_type": "{field} must be a boolean value",
    "int_type": "{field} must be a number conforming to the specified constraints",
    "float_type": "{field} must be a number conforming to the specified constraints",
    "dict_type": "{field} must be an object",
}


def _class_validator(e: Any) -> str:
    field = _field(e)
    if e["type"] == "string_too_long":
        return f"{field} must be shorter than or equal to {e['ctx']['max_length']} characters"
    template = _CLASS_VALIDATOR.get(e["type"])
    return template.format(field=field) if template else e["msg"].removeprefix("Value error, ")


def bearer(req: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None."""
    value = req.header("authorization")
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def from_browser(req: Request) -> bool:
    """A browser sends `Origin` with every cross-origin request and every POST; a backend's HTTP
    library does not. So a request with an Origin came from the visitor's own browser (a vendor's
    tracker script), and its socket peer and User-Agent are the visitor's; one without came from
    a site's backend relaying the hit, whose address and library UA are nobody's identity."""
    return req.header("origin") is not None
