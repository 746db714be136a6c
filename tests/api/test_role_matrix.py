"""Every route and every cell of the role matrix, through the API (issue 12's table).

The expected cells come from the issue's "REST API" table (``CALLS`` below), not from
`cctrace.privacy.roles.ALLOWED`. A refused cell answers 403 naming the missing right and
the caller's role, leaves the database and the files alone, and appends exactly one audit
entry "refused: missing right". An allowed cell never answers 401 or 403 (it may fail
later, e.g. 404 for an unknown case: that is not a refusal by role). A test lists the
app's routes, so a new route cannot be left out of the matrix.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pytest

from cctrace.api.deps import ACTION_KEY
from cctrace.store.records import Role
from tests.api.conftest import Api, case_form, error_of, served_routes
from tests.security.conftest import OTHER_INVESTIGATOR, ROLES, USER_OF_ROLE

# The table, row by row: who may.
ANY: frozenset[Role] = frozenset(ROLES)
ADMIN: frozenset[Role] = frozenset({"admin"})
ADMIN_INGEST: frozenset[Role] = frozenset({"admin", "ingest"})
INVESTIGATOR: frozenset[Role] = frozenset({"investigator"})  # and only their own cases
AUDITOR: frozenset[Role] = frozenset({"auditor"})
# Issue 16: supervisors approve or reject; investigators (own) and supervisors (all) list
# cases; the owner or a supervisor records a withdrawal.
SUPERVISOR: frozenset[Role] = frozenset({"supervisor"})
LIST_CASES: frozenset[Role] = frozenset({"investigator", "supervisor"})
WITHDRAW: frozenset[Role] = frozenset({"investigator", "supervisor"})
# Not in the table: listing cameras. "The same tokens, roles and matrix as the CLI (issue
# 5)": admins and investigators (who pick a case's region; a camera holds no personal data).
LIST_CAMERAS: frozenset[Role] = frozenset({"admin", "investigator"})

UNKNOWN_CASE = "case-000000000000"
Request = tuple[str, str, dict[str, Any]]
"""(method, url, keyword arguments of `TestClient.request`)."""


@dataclass(frozen=True)
class Call:
    route: str
    """``METHOD /path/{template}`` as the app declares it."""
    roles: frozenset[Role]
    action: str | None
    """The action a refusal is audited as (None: no role is refused)."""
    right: str
    """How a refusal names the missing right."""
    request: Callable[[Api], Request]


def _uid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _footage(tiny: bytes) -> Callable[[Api], Request]:
    def build(_api: Api) -> Request:
        files = {"file": ("lobby.mp4", tiny, "video/mp4")}
        return "POST", "/api/v1/footage", {"files": files, "data": {"camera_id": "lobby"}}

    return build


CALIBRATION = {
    "points": [
        {"image": [100, 400], "floor": [0, 0]},
        {"image": [540, 400], "floor": [4, 0]},
        {"image": [420, 200], "floor": [4, 6]},
        {"image": [220, 200], "floor": [0, 6]},
    ]
}


def _site_plan(_api: Api) -> Request:
    ok, png = cv2.imencode(".png", np.full((40, 60, 3), 200, np.uint8))
    assert ok
    files = {"site_plan": ("plan.png", png.tobytes(), "image/png")}
    return (
        "POST",
        "/api/v1/site-plans",
        {"files": files, "data": {"site": "clinic", "metres_per_px": "0.1"}},
    )


def _open_case(_api: Api) -> Request:
    # Not a picture: read only after the role check (422 when allowed).
    data, files = case_form(b"not a photo")
    return "POST", "/api/v1/cases", {"data": data, "files": files}


def calls(tiny_video: bytes) -> list[Call]:
    c = f"/api/v1/cases/{UNKNOWN_CASE}"
    return [
        Call("GET /api/v1/me", ANY, None, "", lambda a: ("GET", "/api/v1/me", {})),
        Call(
            "POST /api/v1/users",
            ADMIN,
            "manage_users",
            "manage users",
            lambda a: ("POST", "/api/v1/users", {"json": {"name": _uid("u"), "role": "auditor"}}),
        ),
        Call(
            "DELETE /api/v1/users/{name}",
            ADMIN,
            "manage_users",
            "manage users",
            lambda a: ("DELETE", "/api/v1/users/nobody", {}),
        ),
        Call(
            "GET /api/v1/cameras",
            LIST_CAMERAS,
            "list_cameras",
            "list cameras",
            lambda a: ("GET", "/api/v1/cameras", {}),
        ),
        Call(
            "POST /api/v1/cameras",
            ADMIN,
            "manage_cameras",
            "manage cameras",
            lambda a: (
                "POST",
                "/api/v1/cameras",
                {"json": {"camera_id": _uid("cam"), "name": "New", "x_m": 1.0, "y_m": 2.0}},
            ),
        ),
        Call(
            "PUT /api/v1/cameras/{camera_id}/calibration",
            ADMIN,
            "manage_cameras",
            "manage cameras",
            lambda a: ("PUT", "/api/v1/cameras/lobby/calibration", {"json": CALIBRATION}),
        ),
        Call(
            "POST /api/v1/site-plans",
            ADMIN,
            "manage_cameras",
            "manage cameras",
            _site_plan,
        ),
        Call(
            "GET /api/v1/site-plans",
            LIST_CAMERAS,
            "list_cameras",
            "list cameras",
            lambda a: ("GET", "/api/v1/site-plans", {}),
        ),
        Call(
            "GET /api/v1/site-plans/{site}/image",
            LIST_CAMERAS,
            "list_cameras",
            "list cameras",
            lambda a: ("GET", "/api/v1/site-plans/clinic/image", {}),
        ),
        Call(
            "POST /api/v1/footage", ADMIN_INGEST, "add_footage", "add footage", _footage(tiny_video)
        ),
        Call(
            "GET /api/v1/jobs/{job_id}",
            ANY,
            None,
            "",
            lambda a: ("GET", "/api/v1/jobs/job-0000000000000000", {}),
        ),
        Call(
            "GET /api/v1/index/stats",
            ADMIN,
            "read_index",
            "read the index",
            lambda a: ("GET", "/api/v1/index/stats", {}),
        ),
        Call("POST /api/v1/cases", INVESTIGATOR, "open_case", "open a case", _open_case),
        Call(
            "GET /api/v1/cases",
            LIST_CASES,
            "list_cases",
            "list cases",
            lambda a: ("GET", "/api/v1/cases?status=pending", {}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/approve",
            SUPERVISOR,
            "review_case",
            "approve or reject a case",
            lambda a: ("POST", f"{c}/approve", {"json": {"reason": "fits"}}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/reject",
            SUPERVISOR,
            "review_case",
            "approve or reject a case",
            lambda a: ("POST", f"{c}/reject", {"json": {"reason": "too wide"}}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/withdraw",
            WITHDRAW,
            "withdraw_case",
            "withdraw a case's consent",
            lambda a: ("POST", f"{c}/withdraw", {"json": {"reason": "the patient asked"}}),
        ),
        Call(
            "GET /api/v1/limits",
            ADMIN,
            "manage_limits",
            "case limits",
            lambda a: ("GET", "/api/v1/limits", {}),
        ),
        Call(
            "PUT /api/v1/limits",
            ADMIN,
            "manage_limits",
            "case limits",
            lambda a: ("PUT", "/api/v1/limits", {"json": {"max_case_window_days": 14}}),
        ),
        Call(
            "GET /api/v1/audit/report",
            AUDITOR,
            "read_audit",
            "read the audit log",
            lambda a: ("GET", "/api/v1/audit/report?from=2026-11-01", {}),
        ),
        Call(
            "GET /api/v1/cases/{case_id}",
            INVESTIGATOR,
            "view_case",
            "view a case",
            lambda a: ("GET", c, {}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/traces",
            INVESTIGATOR,
            "trace",
            "trace a patient",
            lambda a: ("POST", f"{c}/traces", {"json": {"policy": "who-2020"}}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/trace-jobs",
            INVESTIGATOR,
            "trace",
            "trace a patient",
            lambda a: ("POST", f"{c}/trace-jobs", {"json": {"policy": "who-2020"}}),
        ),
        Call(
            "GET /api/v1/cases/{case_id}/traces",
            INVESTIGATOR,
            "view_case",
            "view a case",
            lambda a: ("GET", f"{c}/traces", {}),
        ),
        Call(
            "GET /api/v1/cases/{case_id}/traces/{trace_id}",
            INVESTIGATOR,
            "trace",
            "trace a patient",
            lambda a: ("GET", f"{c}/traces/trace-000000000000", {}),
        ),
        Call(
            "GET /api/v1/cases/{case_id}/traces/{trace_id}/report",
            INVESTIGATOR,
            "export_report",
            "export a case report",
            lambda a: ("GET", f"{c}/traces/trace-000000000000/report?format=csv", {}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/evidence",
            INVESTIGATOR,
            "export_evidence",
            "export evidence",
            lambda a: ("POST", f"{c}/evidence", {"json": {"clips": False}}),
        ),
        Call(
            "GET /api/v1/cases/{case_id}/evidence/{export_id}/{file}",
            INVESTIGATOR,
            "export_evidence",
            "export evidence",
            lambda a: ("GET", f"{c}/evidence/ex-0000000000000000/manifest.json", {}),
        ),
        Call(
            "POST /api/v1/cases/{case_id}/close",
            INVESTIGATOR,
            "close_case",
            "close a case",
            lambda a: ("POST", f"{c}/close", {}),
        ),
        Call(
            "GET /api/v1/audit",
            AUDITOR,
            "read_audit",
            "read the audit log",
            lambda a: ("GET", "/api/v1/audit", {}),
        ),
        Call(
            "GET /api/v1/audit/verify",
            AUDITOR,
            "read_audit",
            "read the audit log",
            lambda a: ("GET", "/api/v1/audit/verify", {}),
        ),
        Call(
            "GET /api/v1/retention",
            ADMIN,
            "manage_retention",
            "retention",
            lambda a: ("GET", "/api/v1/retention", {}),
        ),
        Call(
            "PUT /api/v1/retention",
            ADMIN,
            "manage_retention",
            "retention",
            lambda a: ("PUT", "/api/v1/retention", {"json": {"retention_days": 45}}),
        ),
        Call(
            "POST /api/v1/purge",
            ADMIN,
            "manage_retention",
            "purge",
            lambda a: ("POST", "/api/v1/purge", {"json": {"dry_run": True}}),
        ),
    ]


CALL_NAMES = [c.route for c in calls(b"")]


def app_routes(api: Api) -> set[str]:
    """Every ``METHOD path`` the app serves under /api/v1 (health apart)."""
    return {
        f"{r.method} {r.path}"
        for r in served_routes(api.client.app)  # type: ignore[arg-type]
        if r.path.startswith("/api/v1/") and r.path != "/api/v1/health"
    }


def test_every_route_is_in_the_matrix(api: Api) -> None:
    assert app_routes(api) == set(CALL_NAMES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", CALL_NAMES)
def test_role_matrix_cell(api: Api, tiny_video: bytes, route: str, role: Role) -> None:
    call = next(c for c in calls(tiny_video) if c.route == route)
    method, url, kwargs = call.request(api)
    env = api.env
    before = env.audit_rows()
    if role in call.roles:
        r = api.client.request(method, url, headers=api.auth(role), **kwargs)
        assert r.status_code not in (401, 403), f"{role} refused {route}: {r.text}"
        assert r.status_code < 500, r.text
        new = env.audit_rows()[len(before) :]
        assert not any(row[4].startswith("refused") for row in new), new
        return
    with env.unchanged():
        r = api.client.request(method, url, headers=api.auth(role), **kwargs)
    error = error_of(r, 403)
    assert error["code"] == "forbidden"
    assert call.right in error["message"] and f"role {role}" in error["message"], error
    assert env.audit_rows()[len(before) :] == [
        (USER_OF_ROLE[role], role, call.action, None, "refused: missing right")
    ]


@pytest.fixture(scope="module")
def other_case(api: Api, astronaut_jpeg: bytes) -> str:
    """A case of the second investigator (dr-ng), opened through the API."""
    data, files = case_form(astronaut_jpeg, label="theirs")
    r = api.client.post(
        "/api/v1/cases", headers=api.auth(OTHER_INVESTIGATOR), data=data, files=files
    )
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "action"),
    [
        ("GET", "", {}, "view_case"),
        ("POST", "/traces", {}, "trace"),
        ("GET", "/traces", {}, "view_case"),
        ("GET", "/traces/trace-000000000000", {}, "trace"),
        ("GET", "/traces/trace-000000000000/report?format=json", {}, "export_report"),
        ("POST", "/evidence", {"json": {}}, "export_evidence"),
        ("GET", "/evidence/ex-0000000000000000/manifest.json", {}, "export_evidence"),
        ("POST", "/close", {}, "close_case"),
    ],
)
def test_another_investigators_case_is_refused(
    api: Api, other_case: str, method: str, path: str, kwargs: dict[str, Any], action: str
) -> None:
    env = api.env
    before = env.audit_rows()
    with env.unchanged():
        r = api.client.request(
            method, f"/api/v1/cases/{other_case}{path}", headers=api.auth("investigator"), **kwargs
        )
    error = error_of(r, 403)
    assert "belongs to another investigator" in error["message"], error
    # The role allows the attempt (logged with the case asked for); the owner check refuses.
    assert env.audit_rows()[len(before) :] == [
        ("dr-kim", "investigator", action, other_case, "allowed"),
        ("dr-kim", "investigator", action, other_case, "refused: not the owner"),
    ]


def test_the_other_investigator_sees_only_their_cases(api: Api, other_case: str) -> None:
    mine = api.client.get("/api/v1/cases", headers=api.auth("investigator")).json()["cases"]
    theirs = api.client.get("/api/v1/cases", headers=api.auth(OTHER_INVESTIGATOR)).json()
    assert other_case not in {c["case_id"] for c in mine}
    assert other_case in {c["case_id"] for c in theirs["cases"]}


def test_a_job_is_seen_only_by_who_started_it(api: Api, tiny_video: bytes) -> None:
    files = {"file": ("clip.mp4", tiny_video, "video/mp4")}
    r = api.client.post(
        "/api/v1/footage", headers=api.auth("ingest"), data={"camera_id": "lobby"}, files=files
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    mine = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("ingest"))
    assert mine.status_code == 200, mine.text
    assert mine.json() == {
        "job_id": job_id,
        "kind": "ingest",
        "state": "queued",
        "progress": 0.0,
        "result": None,
        "error": None,
        "stage": None,
    }
    for role in ("admin", "investigator", "auditor"):
        other = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth(role))
        error = error_of(other, 404)
        # The same answer as for a job id that never existed: nothing leaks.
        assert (
            error["message"]
            == f"unknown job {job_id!r}: use the job id the upload or export gave you"
        )


def test_a_bad_token_is_audited_as_the_action_a_refusal_is(api: Api) -> None:
    """The route's ``x-cctrace-action`` (what a refused token is audited as) is the action
    its service authorizes."""
    declared = {
        f"{r.method} {r.path}": (r.openapi_extra or {}).get(ACTION_KEY)
        for r in served_routes(api.client.app)  # type: ignore[arg-type]
    }
    for call in calls(b""):
        if call.action is not None:
            assert declared[call.route] == call.action, call.route
