"""Swetrix Events API: `POST /log`, answering 201 `{}` and NestJS-shaped errors."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson
from pydantic import ValidationError

from ingest.clientip import client_ip, valid_ip
from ingest.errors import BadRequest, IngestError
from ingest.http import Request, Response
from ingest.routing import Route, Services
from schemas.vendors.swetrix import SwetrixPageview

MAX_BODY = 100_000  # "Bodies over 100 kB → 413"
WRONG_PID = "The provided Project ID (pid) is incorrect"


def render_error(err: IngestError) -> Response:
    phrase = HTTPStatus(err.status).phrase
    return Response.json(err.status, {"statusCode": err.status, "message": err.message, "error": phrase},
                         err.headers)


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    return data


def _messages(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]


async def log_pageview(req: Request, svc: Services) -> Response:
    data = _decode(req.body)
    try:
        payload = SwetrixPageview.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("; ".join(_messages(exc))) from exc
    site = svc.sites.by_swetrix_pid(payload.pid)
    if site is None:
        raise BadRequest(WRONG_PID)
    if not site.active:
        raise BadRequest("This project is disabled")
    ip = valid_ip(req.header("x-client-ip-address")) or client_ip(req, svc.trusted_proxies)
    ctx = svc.pipeline.context(site.id, req.header("user-agent"), ip)
    await svc.pipeline.publish(payload, ctx, ip)
    return Response.json(201, {})


ROUTES = [
    Route("POST", "/log", log_pageview, render_error, MAX_BODY),
]
