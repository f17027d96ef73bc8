"""Who may see what: the login, share-link sessions, and the middleware that enforces them.

Policy (docs/dashboard.md, "Security and running it"):
- no password hash configured and a loopback bind: everything is open (local use);
- otherwise every page and API call needs a session cookie: the owner's (after `POST /login`)
  or a share link's (after `GET /share/<token>`), which sees only its site;
- without one, a page redirects to `/login`, an API call answers 401 JSON.
The middleware puts `allowed_sites` on `request.state` (None = all sites) for the API and pages
to check; a share session is honoured only while its link is still in the file.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.credentials import CookieSigner, Session
from dashboard.share_links import ShareLinkStore

COOKIE = "hitstream_dashboard"
_PUBLIC = frozenset({"/healthz", "/readyz", "/metrics", "/login", "/logout", "/favicon.ico"})
_PUBLIC_PREFIXES = ("/static/", "/share/")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Auth:
    """Everything the checks need, built once per app from the settings."""

    password_hash: str | None
    signer: CookieSigner
    links: ShareLinkStore
    required: bool
    session_s: int
    secure_cookies: str  # auto | always | never
    trusted_proxies: tuple[Network, ...]
    clock: Callable[[], datetime]

    def session_of(self, conn: HTTPConnection) -> Session | None:
        raw = conn.cookies.get(COOKIE)
        session = self.signer.verify(raw, self.clock()) if raw else None
        if session is None or session.share_id is None:
            return session
        link = self.links.by_id(session.share_id)
        return session if link is not None and link.site == session.site else None

    def is_tls(self, conn: HTTPConnection) -> bool:
        if conn.url.scheme == "https":
            return True
        proto = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return proto == "https" and self._trusted_peer(conn)

    def _trusted_peer(self, conn: HTTPConnection) -> bool:
        if conn.client is None or not self.trusted_proxies:
            return False
        try:
            peer = ipaddress.ip_address(conn.client.host)
        except ValueError:
            return False
        return any(peer in net for net in self.trusted_proxies)

    def set_cookie(self, conn: HTTPConnection, response: Response, session: Session) -> None:
        secure = self.secure_cookies == "always" or (self.secure_cookies == "auto" and self.is_tls(conn))
        response.set_cookie(
            COOKIE, self.signer.sign(session), max_age=self.session_s, path="/",
            httponly=True, samesite="lax", secure=secure,
        )  # fmt: skip

    def new_session(self, share_id: str | None = None, site: str | None = None) -> Session:
        return Session(int(self.clock().timestamp()) + self.session_s, share_id, site)


def is_public(path: str) -> bool:
    return path in _PUBLIC or path.startswith(_PUBLIC_PREFIXES)


class AuthMiddleware:
    """Sets `request.state.allowed_sites`, or answers 401 / redirects to the login page."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        session = self.auth.session_of(conn)
        allowed: frozenset[str] | None
        if session is not None:
            allowed = None if session.site is None else frozenset({session.site})
        elif not self.auth.required:
            allowed = None
        elif is_public(conn.url.path):
            allowed = frozenset()
        else:
            await _refuse(conn)(scope, receive, send)
            return
        conn.state.allowed_sites = allowed
        conn.state.session = session
        await self.app(scope, receive, send)


def _refuse(conn: HTTPConnection) -> Response:
    path = conn.url.path
    if path == "/api" or path.startswith("/api/"):
        return JSONResponse({"error": "authentication required"}, status_code=401)
    target = path + (f"?{conn.url.query}" if conn.url.query else "")

    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//host` or `/\\host`, which browsers read as another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\t") or len(target) > 2000:
        return "/"
    return target


def same_origin(conn: HTTPConnection) -> bool:
    """CSRF check for the login and logout POSTs (with SameSite=Lax cookies): a browser always
    sends Origin (or at least Referer) on a cross-site POST, and it must name this host."""

    host = conn.headers.get("host", "")
    origin = conn.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = conn.headers.get("referer")
    return referer is None or urlsplit(referer).netloc == host
