"""Signing in and out: the session cookie's flags, what the server keeps, expiry, revoked
accounts, bad tokens, and the login form's own CSRF check."""

from __future__ import annotations

import hashlib
from http.cookies import SimpleCookie

import pytest

from cctrace.web.sessions import SESSION_COOKIE, Sessions
from tests.web_unit.conftest import CSRF_RE, HTML, WebSite, sign_in


def _set_cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Each Set-Cookie of an answer by cookie name: its whole header value."""
    out = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            out[SimpleCookie(value).popitem()[0]] = value
    return out


def _login_form(client: object) -> str:
    page = client.get("/")  # type: ignore[attr-defined]
    found = CSRF_RE.search(page.text)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("investigator", "/cases"),
        ("admin", "/admin/cameras"),
        ("auditor", "/audit/log"),
        ("ingest", "/ingest"),
    ],
)
def test_each_role_lands_on_its_own_page(site: WebSite, role: str, landing: str) -> None:
    client = site.client()
    csrf = _login_form(client)
    r = client.post(
        "/",
        data={"token": site.env.token_of(role), "csrf_token": csrf, "next": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == landing
    page = client.get(landing)
    assert page.status_code == 200
    assert 'data-testid="logout"' in page.text
    if role == "ingest":
        assert "No web pages for your role" in page.text


def test_the_session_cookie_is_httponly_strict_and_holds_no_token(site: WebSite) -> None:
    client = site.client()
    csrf = _login_form(client)
    token = site.env.token_of("investigator")
    r = client.post("/", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
    cookie = _set_cookies(r.headers.multi_items())[SESSION_COOKIE]
    flags = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http here (see the TLS test)
    session_id = SimpleCookie(cookie)[SESSION_COOKIE].value
    assert token not in cookie and len(session_id) >= 40
    # The server keeps only the id's hash, with the user's id: never the id, never a token.
    sessions: Sessions = site.app.state.web_app.state.web.sessions
    kept = sessions._by_key
    assert session_id not in kept
    assert hashlib.sha256(session_id.encode()).hexdigest() in kept
    assert all(token not in repr(s) for s in kept.values())


def test_behind_tls_the_cookie_is_secure(site: WebSite) -> None:
    client = site.client()
    csrf = _login_form(client)
    r = client.post(
        "/",
        data={"token": site.env.token_of("auditor"), "csrf_token": csrf},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    cookie = _set_cookies(r.headers.multi_items())[SESSION_COOKIE]
    assert "secure" in [p.strip().lower() for p in cookie.split(";")]


def test_a_bad_token_is_refused_with_a_message_and_audited(site: WebSite) -> None:
    client = site.client()
    csrf = _login_form(client)
    before = site.env.audit_rows()
    r = client.post("/", data={"token": "0123456789abcdef.guess", "csrf_token": csrf})
    assert r.status_code == 401
    assert 'data-testid="form-error"' in r.text and "The token is not valid" in r.text
    assert "--token" not in r.text  # the CLI's advice is not the page's
    assert SESSION_COOKIE not in client.cookies
    assert site.env.audit_rows()[len(before) :] == [
        ("(unknown token)", "-", "sign_in", None, "refused: bad token")
    ]


def test_signing_in_and_out_is_audited(site: WebSite) -> None:
    client = site.client()
    before = len(site.env.audit_rows())
    csrf = sign_in(client, site.env.token_of("auditor"))
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert SESSION_COOKIE not in client.cookies
    actions = [(a, o) for _, _, a, _, o in site.env.audit_rows()[before:]]
    assert ("sign_in", "signed in") in actions and actions[-1] == ("sign_out", "signed out")
    # The old session is gone on the server too: the page sends the browser to sign in.
    again = client.get("/audit/log", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/?next=")


def test_a_stolen_cookie_stops_working_after_sign_out(site: WebSite) -> None:
    client = site.client()
    csrf = sign_in(client, site.env.token_of("auditor"))
    stolen = client.cookies[SESSION_COOKIE]
    client.post("/logout", data={"csrf_token": csrf})
    thief = site.client()
    thief.cookies.set(SESSION_COOKIE, stolen)
    assert thief.get("/audit/log", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token(site: WebSite) -> None:
    client = site.client()
    sign_in(client, site.env.token_of("auditor"))
    r = client.post("/logout", data={"csrf_token": "wrong"})
    assert r.status_code == 403 and 'data-testid="error-page"' in r.text
    assert client.get("/audit/log").status_code == 200  # still signed in


def test_the_login_form_needs_its_own_csrf_cookie(site: WebSite) -> None:
    client = site.client()
    r = client.post("/", data={"token": site.env.token_of("admin"), "csrf_token": "forged"})
    assert r.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_a_revoked_account_ends_its_session(site: WebSite) -> None:
    admin = site.client()
    admin_csrf = sign_in(admin, site.env.token_of("admin"))
    made = admin.post(
        "/admin/users", data={"csrf_token": admin_csrf, "name": "short", "role": "auditor"}
    )
    token = made.text.split('data-testid="new-token">')[1].split("<")[0]
    user = site.client()
    sign_in(user, token)
    assert user.get("/audit/log").status_code == 200
    admin.post("/admin/users/short/revoke", data={"csrf_token": admin_csrf})
    r = user.get("/audit/log", follow_redirects=False)
    assert r.status_code == 303 and "ended=1" in r.headers["location"]


def test_next_returns_to_the_page_asked_for_and_never_elsewhere(site: WebSite) -> None:
    client = site.client()
    first = client.get("/cases/new", follow_redirects=False)
    assert first.headers["location"] == "/?next=/cases/new"
    for target, landing in [("/cases/new", "/cases/new"), ("//evil.example/x", "/cases")]:
        client.cookies.clear()
        csrf = _login_form(client)
        r = client.post(
            "/",
            data={"token": site.env.token_of("investigator"), "csrf_token": csrf, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == landing


def test_sessions_expire_after_inactivity_and_at_their_maximum_age() -> None:
    now = [0.0]
    sessions = Sessions(idle_s=60, max_s=300, clock=lambda: now[0])
    sid, _ = sessions.start("u1")
    now[0] = 59
    assert sessions.get(sid) is not None  # used: the inactivity clock restarts
    now[0] = 118
    assert sessions.get(sid) is not None
    now[0] = 179
    assert sessions.get(sid) is None and len(sessions) == 0
    busy, _ = sessions.start("u1")
    for t in range(200, 480, 30):
        now[0] = t
        assert sessions.get(busy) is not None
    now[0] = 481
    assert sessions.get(busy) is None  # 300 s after signing in, however busy
    assert sessions.get(None) is None and sessions.get("unknown") is None


def test_a_signed_in_visit_to_the_sign_in_page_goes_to_the_landing_page(site: WebSite) -> None:
    client = site.client()
    sign_in(client, site.env.token_of("admin"))
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/cameras"


def test_no_cookie_means_the_sign_in_page(site: WebSite) -> None:
    client = site.client()
    for path in ("/cases", "/admin/users", "/audit/log", "/ingest"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/?next={path}", path
    # htmx is told to navigate, not to swap a sign-in page into a fragment.
    r = client.get("/cases", headers={**HTML, "HX-Request": "true"}, follow_redirects=False)
    assert r.headers["hx-redirect"] == "/?next=/cases"
