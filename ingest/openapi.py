"""The OpenAPI 3.1 document of every ingest route, generated from the routes and their models.

Generated, not hand-written, so it cannot drift from what the router serves: each `Route`
carries its summary, body model and documented statuses.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ingest.routing import Route, Router

_REF = "#/components/schemas/{model}"


def _schemas(routes: list[Route]) -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    models = sorted({r.body_model for r in routes if r.body_model}, key=lambda m: m.__name__)
    if not models:
        return {}, {}
    refs, top = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    names: dict[type[BaseModel], str] = {}
    for (model, _mode), ref in refs.items():
        if isinstance(model, type) and issubclass(model, BaseModel):
            names[model] = ref["$ref"].rsplit("/", 1)[-1]
    defs: dict[str, Any] = top.get("$defs", {})
    return names, defs


def _operation(route: Route, names: dict[type[BaseModel], str]) -> dict[str, Any]:
    tag = route.dialect.name if route.dialect.name != "none" else "service"
    op: dict[str, Any] = {
        "summary": route.summary,
        "tags": [tag],
        "operationId": f"{tag}_{route.method.lower()}_{route.path.strip('/').replace('/', '_')}",
        "responses": {str(code): {"description": text} for code, text in sorted(route.responses.items())},
    }
    if route.method != "HEAD":
        op["responses"].setdefault("405", {"description": "Wrong method"})
    if route.body_model is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=names[route.body_model])}}},
        }
    return op


def document(router: Router) -> dict[str, Any]:
    routes = router.routes
    names, schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, names)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hitstream ingest",
            "version": "1",
            "description": "Server-side calls of five analytics vendors, answered as each vendor does.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }


def document_bytes(router: Router) -> bytes:
    return orjson.dumps(document(router), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
