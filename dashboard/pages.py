"""The few pages the server renders itself: the login form and the 4xx/5xx pages.

Plain HTML with the page's own stylesheet, no script (the CSP forbids inline script, and these
pages need none); every value from the request is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · hitstream dashboard</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="top"><a href="/" class="brand">hitstream</a></header>
<main class="notice">
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"""


def page(status: int, title: str, body_html: str) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body_html), status_code=status)


def message(status: int, title: str, text: str) -> HTMLResponse:
    return page(status, title, f'<p>{escape(text)}</p><p><a href="/">All sites</a></p>')


def login(
    *, next_path: str, error: str | None = None, can_login: bool = True, status: int = 200
) -> HTMLResponse:
    if not can_login:
        return message(
            status if status != 200 else 401,
            "Sign in",
            "This dashboard has no password set; open it through a share link.",
        )
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    form = f"""{err}
<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="{escape(next_path)}">
<label>Password
<input type="password" name="password" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>"""
    return page(status, "Sign in", form)
