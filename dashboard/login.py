"""The routes that open and close sessions: `/login`, `/logout` and `/share/<token>`.

The login form is parsed by hand (one urlencoded field and a `next` path, at most 4 KiB), so no
multipart parser is needed; scrypt runs in the thread pool so one login does not stall the loop.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard import pages
from dashboard.auth import COOKIE, Auth, safe_next, same_origin
from dashboard.credentials import verify_password

_MAX_FORM = 4096


def _auth(request: Request) -> Auth:
    auth: Auth = request.app.state.auth
    return auth


async def login_page(request: Request) -> Response:
    auth = _auth(request)
    target = safe_next(request.query_params.get("next"))
    if not auth.required or request.state.session is not None:
        return RedirectResponse(target, status_code=303)
    return pages.login(next_path=target, can_login=auth.password_hash is not None)


async def _form(request: Request) -> dict[str, str] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM:
            return None
    try:
        fields = parse_qs(body.decode(), max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in fields.items()}


async def login(request: Request) -> Response:
    auth = _auth(request)
    if not same_origin(request):
        return pages.message(403, "Forbidden", "The sign-in form was posted from another site.")
    form = await _form(request)
    if form is None:
        return pages.message(400, "Bad request", "The sign-in form was too large or not readable.")
    target = safe_next(form.get("next"))
    if auth.password_hash is None:
        return pages.login(next_path=target, can_login=False, status=401)
    ok = await run_in_threadpool(verify_password, form.get("password", ""), auth.password_hash)
    if not ok:
        return pages.login(next_path=target, error="Wrong password.", status=401)
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(request, response, auth.new_session())
    return response


async def logout(request: Request) -> Response:
    if not same_origin(request):
        return pages.message(403, "Forbidden", "The sign-out form was posted from another site.")
    response = RedirectResponse("/login" if _auth(request).required else "/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def share(request: Request) -> Response:
    auth = _auth(request)
    link = auth.links.by_token(request.path_params["token"])
    if link is None:
        return pages.message(404, "Link not valid", "This share link does not exist or was revoked.")
    response = RedirectResponse(f"/sites/{link.site}", status_code=303)
    auth.set_cookie(request, response, auth.new_session(link.id, link.site))
    return response


def login_routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/share/{token}", share, methods=["GET"]),
    ]
