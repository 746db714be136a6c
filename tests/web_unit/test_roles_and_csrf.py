"""Each role sees only its pages: the server refuses every other page with a 403 page
(audited), whatever the menu shows; every POST needs the session's CSRF token.

The web app's routes are listed, so a new page cannot slip through without an area."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.api.conftest import served_routes
from tests.web_unit.conftest import HTML, WebSite, sign_in

AREAS = {
    "/cases": "investigator",
    "/admin": "admin",
    "/review": "supervisor",
    "/audit": "auditor",
    "/ingest": "ingest",
}
PUBLIC = {("GET", "/"), ("POST", "/"), ("POST", "/logout"), ("HEAD", "/"), ("GET", "/static")}
ROLES = ("investigator", "admin", "supervisor", "auditor", "ingest")


def _area(path: str) -> str | None:
    for prefix, role in AREAS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return role
    return None


def web_routes(site: WebSite) -> list[tuple[str, str]]:
    """(method, path) of every page and action of the web app, ids filled in."""
    out = []
    for r in served_routes(site.app.state.web_app):
        if (r.method, r.path) in PUBLIC or r.method == "HEAD":
            continue
        path = r.path.replace("{case_id}", site.case_id)
        out.append((r.method, re.sub(r"\{[^}]+\}", "x", path)))
    return sorted(set(out))


_SIGNED: dict[tuple[int, str], tuple[TestClient, str]] = {}


def _client_of(site: WebSite, role: str) -> tuple[TestClient, str]:
    """A browser signed in as ``role`` (or a user's name), and its CSRF token; one each."""
    key = (id(site), role)
    if key not in _SIGNED:
        client = site.client()
        _SIGNED[key] = (client, sign_in(client, site.env.token_of(role)))
    return _SIGNED[key]


def test_every_page_belongs_to_one_role(site: WebSite) -> None:
    routes = web_routes(site)
    assert len(routes) >= 25
    assert [p for _, p in routes if _area(p) is None] == []


def test_each_role_is_refused_every_other_roles_pages_with_a_403_page(site: WebSite) -> None:
    checked = 0
    for method, path in web_routes(site):
        owner = _area(path)
        for role in ROLES:
            if role == owner:
                continue
            client, csrf = _client_of(site, role)
            before = len(site.env.audit_rows())
            if method == "GET":
                r = client.get(path, follow_redirects=False)
            else:  # a valid token of the session: the role alone refuses
                r = client.post(path, data={"csrf_token": csrf}, follow_redirects=False)
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert 'data-testid="error-page"' in r.text and 'data-status="403"' in r.text
            assert f"that page is for the {owner} role" in r.text, (role, path)
            rows = site.env.audit_rows()[before:]
            assert [(a, o) for _, _, a, _, o in rows] == [
                ("open_page", "refused: missing right")
            ], (role, path, rows)
            checked += 1
    assert checked >= 75


def test_an_investigator_typing_an_admin_address_gets_403(site: WebSite) -> None:
    client, _ = _client_of(site, "investigator")
    r = client.get("/admin/users")
    assert r.status_code == 403 and "Not for you" in r.text
    assert "admin" not in re.findall(r'data-testid="nav-[a-z-]+"', r.text)
    assert 'data-testid="nav-users"' not in r.text  # nor does the menu offer it


def test_another_investigators_case_is_refused(site: WebSite) -> None:
    client, _ = _client_of(site, "dr-ng")
    for path in (
        f"/cases/{site.case_id}",
        f"/cases/{site.case_id}/report/csv",
        f"/cases/{site.case_id}/close",
    ):
        r = client.get(path)
        assert r.status_code == 403 and "belongs to another investigator" in r.text, path
    unknown = client.get("/cases/case-000000000000")
    assert unknown.status_code == 404 and "unknown case" in unknown.text


def _runs(site: WebSite, case_id: str) -> int:
    with Store.open(Home.at(site.env.home, env={})) as store:
        return len(store.trace_runs(case_id))


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-CSRF-Token": "forged"}],
    ids=["no token", "a forged token"],
)
def test_a_post_without_the_sessions_csrf_token_is_refused(
    site: WebSite, headers: dict[str, str]
) -> None:
    client, csrf = _client_of(site, "investigator")
    runs = _runs(site, site.other_case_id)
    r = client.post(
        f"/cases/{site.other_case_id}/trace",
        data={"policy": "kdca-2022"},
        headers={**HTML, **headers},
    )
    assert r.status_code == 403 and "security token" in r.text
    assert _runs(site, site.other_case_id) == runs
    # Another session's token is no better.
    _other, other_csrf = _client_of(site, "dr-ng")
    r = client.post(
        f"/cases/{site.other_case_id}/close", data={"csrf_token": other_csrf}, headers=headers
    )
    assert r.status_code == 403
    assert 'data-status="approved"' in client.get(f"/cases/{site.other_case_id}").text
    assert csrf != other_csrf


def test_an_upload_form_without_the_csrf_token_creates_nothing(site: WebSite) -> None:
    client, _ = _client_of(site, "investigator")
    before = client.get("/cases").text.count('data-testid="case-row"')
    r = client.post(
        "/cases/new",
        data={"consent_given_by": "p", "consent_date": "2026-11-20", "from": "2026-11-20"},
        files=[
            ("patient_photo", ("p.jpg", site.astronaut_jpeg.read_bytes(), "image/jpeg")),
            ("consent_file", ("c.pdf", site.consent.read_bytes(), "application/pdf")),
        ],
    )
    assert r.status_code == 403 and "security token" in r.text
    assert client.get("/cases").text.count('data-testid="case-row"') == before
    leftovers = list((site.env.home / "uploads" / "requests").iterdir())
    assert leftovers == [], "the upload was not removed"


def test_htmx_sends_the_token_as_a_header(site: WebSite) -> None:
    client, csrf = _client_of(site, "auditor")
    page = client.get("/audit/log")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text
    r = client.post("/audit/verify", headers={**HTML, "HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200 and 'data-testid="audit-verify-result"' in r.text
