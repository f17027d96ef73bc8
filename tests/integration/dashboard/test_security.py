"""The dashboard's security as a client meets it: the refusal to serve a public bind without
authentication (a real `hitstream dashboard` process), and, over real HTTP requests to the app
in-process, the login, its cookie, share links limited to one site, and revocation.

No ClickHouse is needed: the app's Reader points at a port where nothing listens, which these
routes never reach (authentication and site checks come first).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from common.settings import SharedSettings
from dashboard import share_links
from dashboard.app import create_app
from dashboard.credentials import hash_password
from dashboard.settings import DashboardSettings
from tests.support.services import HITSTREAM, free_port, http_ok, wait_for

PASSWORD = "a long test password"
HASH = hash_password(PASSWORD)
SITES = (
    '{"sites": [{"id": "example", "domains": ["example.com"]}, {"id": "other", "domains": ["o.example"]}]}'
)
PROXY = "10.1.2.3"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "sites.json").write_text(SITES)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    return {
        **env,
        "HITSTREAM_STATE_DIR": str(tmp_path),
        "CLICKHOUSE_QUERY_URL": f"http://127.0.0.1:{free_port()}",
        "DASHBOARD_PORT": str(free_port()),
        **extra,
    }


def test_a_public_bind_without_authentication_refuses_to_start(tmp_path: Path) -> None:
    proc = subprocess.run(
        [HITSTREAM, "dashboard"], env=_env(tmp_path, DASHBOARD_HOST="0.0.0.0"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "refusing to serve the dashboard on 0.0.0.0 without authentication" in proc.stderr
    assert "DASHBOARD_PASSWORD_HASH" in proc.stderr


def test_a_public_bind_with_a_password_starts(tmp_path: Path) -> None:
    env = _env(tmp_path, DASHBOARD_HOST="0.0.0.0", DASHBOARD_PASSWORD_HASH=HASH)
    proc = subprocess.Popen(
        [HITSTREAM, "dashboard"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{env['DASHBOARD_PORT']}"
        wait_for(lambda: proc.poll() is not None or http_ok(f"{base}/healthz"), 30, "dashboard /healthz")
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        response = httpx.get(f"{base}/api/sites")
        assert response.status_code == 401
        assert httpx.get(f"{base}/readyz").status_code == 503  # ClickHouse is not there
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _settings(tmp_path: Path, **kw: object) -> DashboardSettings:
    (tmp_path / "sites.json").write_text(SITES)
    return DashboardSettings(
        shared=SharedSettings(state_dir=tmp_path, clickhouse_query_url=f"http://127.0.0.1:{free_port()}"),
        **kw,  # type: ignore[arg-type]
    )


def _client(settings: DashboardSettings, peer: str = "127.0.0.1") -> TestClient:
    """Real HTTP requests and responses (httpx), the app in this process, redirects not followed."""
    return TestClient(
        create_app(settings), base_url="http://dash.test", client=(peer, 40000), follow_redirects=False
    )


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[TestClient]:
    settings = _settings(tmp_path, password_hash=HASH, trusted_proxies=f"{PROXY}/32")
    with _client(settings) as client:
        yield client


def test_without_a_session_pages_redirect_to_login_and_the_api_answers_401(
    owner: TestClient,
) -> None:
    page = owner.get("/sites/example?period=30d")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fsites%2Fexample%3Fperiod%3D30d"
    api = owner.get("/api/sites/example/summary")
    assert (api.status_code, api.json()) == (401, {"error": "authentication required"})
    assert (owner.get("/healthz")).status_code == 200
    assert (owner.get("/login")).status_code == 200


def test_a_wrong_password_is_refused_and_the_right_one_opens_a_session(
    owner: TestClient,
) -> None:
    wrong = owner.post("/login", data={"password": "nope", "next": "/sites/example"})
    assert wrong.status_code == 401 and "Wrong password" in wrong.text
    assert "set-cookie" not in wrong.headers
    right = owner.post("/login", data={"password": PASSWORD, "next": "/sites/example"})
    assert (right.status_code, right.headers["location"]) == (303, "/sites/example")
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert "secure" not in cookie  # plain HTTP, no trusted proxy
    assert (owner.get("/sites/example")).status_code == 200
    assert (owner.get("/sites/nowhere")).status_code == 404
    out = owner.post("/logout")
    assert out.status_code == 303 and 'hitstream_dashboard=""' in out.headers["set-cookie"]
    owner.cookies.clear()
    assert (owner.get("/api/sites")).status_code == 401


def test_cookies_are_secure_behind_tls_from_a_trusted_proxy_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path, password_hash=HASH, trusted_proxies=f"{PROXY}/32")
    form = {"password": PASSWORD}
    tls = {"x-forwarded-proto": "https"}
    with _client(settings, peer=PROXY) as proxied:
        assert "secure" in (proxied.post("/login", data=form, headers=tls)).headers["set-cookie"].lower()
    with _client(settings, peer="192.0.2.9") as direct:
        response = direct.post("/login", data=form, headers=tls)
        assert "secure" not in response.headers["set-cookie"].lower()


def test_a_login_posted_from_another_site_is_refused(owner: TestClient) -> None:
    response = owner.post("/login", data={"password": PASSWORD}, headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and "set-cookie" not in response.headers
    same = owner.post("/login", data={"password": PASSWORD}, headers={"origin": "http://dash.test"})
    assert same.status_code == 303


def test_every_answer_carries_the_security_headers(owner: TestClient) -> None:
    for path in ("/login", "/api/sites", "/healthz", "/static/app.js", "/nowhere"):
        headers = (owner.get(path)).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_a_share_link_sees_only_its_site_until_it_is_revoked(tmp_path: Path) -> None:
    settings = _settings(tmp_path, host="0.0.0.0")  # no password: share links only
    link, token = share_links.create(settings.share_links_path, "example")
    with _client(settings) as client:
        assert (client.get("/api/sites/example/summary")).status_code == 401
        assert (client.get("/share/not-a-token")).status_code == 404
        opened = client.get(f"/share/{token}")
        assert (opened.status_code, opened.headers["location"]) == (303, "/sites/example")
        assert (client.get("/sites/example")).status_code == 200
        assert (client.get("/")).headers["location"] == "/sites/example"
        assert (client.get("/sites/other")).status_code == 404
        other = client.get("/api/sites/other/summary")
        assert other.status_code == 404 and other.json()["parameter"] == "site"
        share_links.revoke(settings.share_links_path, link.id)
        assert (client.get("/sites/example")).status_code == 303
        assert (client.get("/api/sites/example/summary")).status_code == 401
        assert (client.get(f"/share/{token}")).status_code == 404


def test_loopback_without_a_password_is_open(tmp_path: Path) -> None:
    with _client(_settings(tmp_path)) as client:
        assert (client.get("/sites/example")).status_code == 200
        assert (client.get("/login")).headers["location"] == "/"
        unready = client.get("/api/sites/example/summary")  # past auth; ClickHouse is down
        assert unready.status_code == 503
