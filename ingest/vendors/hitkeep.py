"""HitKeep `POST /api/ingest/server/pageview`: auth before body, 202 with an empty body.

The token is checked from the headers alone (`precheck`), before the body is read; the site then
comes from the URL's hostname and the token must hold `site.manage_data` on it. `dnt: true` is
accepted and dropped. Errors are `{"message": "…"}`. The visitor is the body's `visitor_ip` and
`user_agent` (forwarded by the caller, a backend or a replay job), never the caller itself.
"""

from __future__ import annotations

from ingest.errors import BadRequest, Forbidden, NotFound, RateLimited, Shape, Unauthorized
from ingest.http_types import Request, Response
from ingest.pipeline import Hit
from ingest.routing import Dialect, Route, Services
from ingest.sites import Site, Token
from ingest.vendors.common import bearer, parse
from schemas.vendors.hitkeep import HitKeepPageview

MAX_BODY = 64 * 1024  # over it: 400, as HitKeep answers
DIALECT = Dialect("hitkeep", Shape.HITKEEP)
PERMISSION = "site.manage_data"


class BodyTooLarge(BadRequest):
    """HitKeep answers an oversized body with 400, not 413."""


def _caller(req: Request, svc: Services) -> tuple[Site, Token]:
    token = bearer(req) or (req.header("x-api-key") or "").strip()
    if not token:
        raise Unauthorized("Unauthorized: missing API token")
    found = svc.sites.by_token(token)
    if found is None or found[1].kind != "hitkeep":
        raise Unauthorized("Unauthorized: invalid API token")
    return found


def authenticate(req: Request, svc: Services) -> None:
    _caller(req, svc)


async def pageview(req: Request, svc: Services) -> Response:
    token_site, token = _caller(req, svc)
    if not svc.hitkeep_limits.hit(token.sha256).allowed:
        raise RateLimited("Too many requests", headers=[("retry-after", "1")])
    hit = parse(HitKeepPageview, req.body)
    site = svc.sites.by_hostname(hit.host)
    if site is None or not site.active:
        raise NotFound("Site not found")
    if site.id != token_site.id or PERMISSION not in token.permissions:
        raise Forbidden(f"Access denied: the token lacks {PERMISSION} on this site")
    if hit.dnt:
        return Response.empty(202)
    await svc.pipeline.submit(Hit(hit, site.id, visitor_ip=hit.visitor_ip, user_agent=hit.user_agent))
    return Response.empty(202)


ROUTES = [
    Route(
        "POST",
        "/api/ingest/server/pageview",
        pageview,
        DIALECT,
        MAX_BODY,
        too_large=BodyTooLarge,
        precheck=authenticate,
        body_model=HitKeepPageview,
        summary="HitKeep: ingest one server-side pageview (Authorization: Bearer <token> or X-Api-Key)",
        responses={
            202: "Accepted (empty body); dnt: true is accepted and dropped",
            400: "Invalid body, or body over 64 KiB",
            401: "Missing or invalid token",
            403: "Token lacks site.manage_data on the URL's site",
            404: "Site not found",
            429: "Too many requests from this caller",
            503: "Cannot accept now (Retry-After)",
        },
    ),
]
