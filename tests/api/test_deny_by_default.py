"""Deny by default: every route but health, the OpenAPI document and the docs answers 401
without a valid token (the app's routes are listed, so a new one cannot slip through); one
error shape everywhere; security headers on every answer; docs that load nothing from the
internet; bad tokens audited and slowed down."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from cctrace.api.deps import ACTION_KEY
from cctrace.api.settings import BadTokenSlowdown
from cctrace.api.slowdown import Slowdown
from tests.api.conftest import Api, bearer, error_of, make_app, served_routes

PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/docs/docs.css"),
}


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_the_public_routes_are_only_health_openapi_and_docs(api: Api) -> None:
    served = {(r.method, r.path) for r in served_routes(api.client.app)}  # type: ignore[arg-type]
    public = {
        (m, p) for m, p in served if api.client.request(m, _filled(p)).status_code not in (401, 405)
    }
    assert public == PUBLIC


@pytest.mark.parametrize("token", [None, "", "Bearer", "Bearer nope", "Basic YWRtaW46YWRtaW4="])
def test_every_other_route_answers_401_without_a_valid_token(api: Api, token: str | None) -> None:
    checked = 0
    for r in served_routes(api.client.app):  # type: ignore[arg-type]
        if (r.method, r.path) in PUBLIC:
            continue
        headers = {} if token is None else {"Authorization": token}
        answer = api.client.request(r.method, _filled(r.path), headers=headers)
        error = error_of(answer, 401)
        assert error["code"] == "unauthenticated", (r.path, error)
        assert "Authorization: Bearer" in error["message"] or "not valid" in error["message"]
        assert answer.headers["www-authenticate"] == "Bearer"
        # The action a refused token is audited as: declared on every route.
        assert r.openapi_extra is not None and isinstance(r.openapi_extra[ACTION_KEY], str)
        checked += 1
    assert checked >= 20


def test_a_bad_token_is_audited_with_what_was_attempted(api: Api) -> None:
    before = api.env.audit_rows()
    r = api.client.get("/api/v1/index/stats", headers=bearer("0123456789abcdef.not-a-secret"))
    assert error_of(r, 401)["message"].startswith("the token is not valid")
    assert api.env.audit_rows()[len(before) :] == [
        ("(unknown token)", "-", "read_index", None, "refused: bad token")
    ]


def test_a_revoked_token_answers_401(api: Api) -> None:
    made = api.client.post(
        "/api/v1/users", headers=api.auth("admin"), json={"name": "short-lived", "role": "auditor"}
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert api.client.get("/api/v1/me", headers=bearer(token)).json() == {
        "user": "short-lived",
        "role": "auditor",
    }
    gone = api.client.delete("/api/v1/users/short-lived", headers=api.auth("admin"))
    assert gone.status_code == 200 and gone.json()["user"] == "short-lived"
    error = error_of(api.client.get("/api/v1/me", headers=bearer(token)), 401)
    assert "revoked" in error["message"]


def test_health(api: Api) -> None:
    r = api.client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": "0.1.0"}


def test_unknown_routes_wrong_methods_and_bad_json_have_the_one_error_shape(api: Api) -> None:
    assert error_of(api.client.get("/api/v1/nothing-here"), 404)["code"] == "not_found"
    assert error_of(api.client.get("/nope"), 404)["code"] == "not_found"
    wrong = error_of(api.client.patch("/api/v1/cameras"), 405)
    assert wrong["code"] == "method_not_allowed" and "not allowed" in wrong["message"]
    bad = api.client.post(
        "/api/v1/users",
        headers={**api.auth("admin"), "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert error_of(bad, 422)["code"] == "invalid_input"
    extra = api.client.post(
        "/api/v1/users", headers=api.auth("admin"), json={"name": "a", "role": "auditor", "x": 1}
    )
    assert error_of(extra, 422)["field"] == "x"


def test_security_headers_on_every_answer(api: Api) -> None:
    answers = [
        api.client.get("/api/v1/health"),
        api.client.get("/api/v1/me"),
        api.client.get("/api/v1/me", headers=api.auth("auditor")),
        api.client.get("/nope"),
        api.client.get("/docs"),
        api.client.get("/openapi.json"),
    ]
    for r in answers:
        assert r.headers["content-security-policy"].startswith("default-src 'self'"), r.url
        assert r.headers["x-content-type-options"] == "nosniff"
    assert answers[2].headers["cache-control"] == "no-store"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_nothing_from_the_internet(api: Api, page: str) -> None:
    r = api.client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = r.text
    assert "<script" not in text.lower()
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    assert links, "the page links its stylesheet"
    for link in links:
        assert link.startswith(("/", "#")), link
        if link.startswith("/"):
            assert api.client.get(link).status_code == 200, link
    assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text)
    # Every operation is documented.
    for path in api.client.get("/openapi.json").json()["paths"]:
        assert f">{path}<" in text.replace("&#x27;", "'"), path


def test_openapi_declares_the_error_shape_and_the_token(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path == "/api/v1/health":
                assert "security" not in op
                continue
            assert op["security"] == [{"token": []}], (method, path)
            for status in ("401", "403", "422"):
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)


def test_bad_tokens_from_one_client_are_slowed_down(api: Api) -> None:
    app = make_app(
        api.env.home,
        slowdown=BadTokenSlowdown(free_attempts=2, first_delay_s=0.2, max_delay_s=0.3),
    )
    slowdown: Slowdown = app.state.slowdown
    waits: list[float] = []
    real = slowdown.delay_s

    def delay_s(client: str) -> float:
        waits.append(real(client))
        return waits[-1]

    slowdown.delay_s = delay_s  # type: ignore[method-assign]
    with TestClient(app) as client:
        t0 = time.monotonic()
        for _ in range(5):
            r = client.get("/api/v1/me", headers=bearer("0123456789abcdef.guess"))
            assert r.status_code == 401
        spent = time.monotonic() - t0
        assert waits == [0.0, 0.0, 0.2, 0.3, 0.3]  # two free, then doubling, capped
        assert spent >= sum(waits)
        # A missing token guesses nothing: refused at once, and not counted.
        assert client.get("/api/v1/me").status_code == 401
        assert len(waits) == 5


def test_the_slowdown_window_and_clients() -> None:
    now = [0.0]
    s = Slowdown(
        BadTokenSlowdown(free_attempts=2, window_s=60, first_delay_s=1, max_delay_s=4),
        clock=lambda: now[0],
    )
    for _ in range(2):
        assert s.delay_s("a") == 0
        s.failed("a")
    assert [s.delay_s("a"), s.delay_s("b")] == [1.0, 0.0]
    s.failed("a")
    assert s.delay_s("a") == 2.0
    s.failed("a")
    s.failed("a")
    assert s.delay_s("a") == 4.0  # capped
    now[0] = 61.0
    assert s.delay_s("a") == 0.0  # the window passed
