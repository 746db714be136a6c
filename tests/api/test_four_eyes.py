"""Issue 16 through the API: pending cases, a supervisor's approval or rejection (never by
the case's owner), 403 naming the missing approval, windows and consent checked (422
naming the field), withdrawal, the case limits and the auditor's report."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, case_form, error_of
from tests.cases import DIAGNOSIS_REF
from tests.security.conftest import OTHER_INVESTIGATOR

SUPERVISOR = "lead-park"


def _open(api: Api, photo: bytes, owner: str = "investigator") -> str:
    data, files = case_form(photo)
    r = api.client.post("/api/v1/cases", headers=api.auth(owner), data=data, files=files)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


def _post(api: Api, who: str, path: str, **body: Any) -> Any:
    return api.client.post(path, headers=api.auth(who), json=body)


def test_a_case_is_traced_only_after_another_person_approves_it(
    api: Api, astronaut_jpeg: bytes
) -> None:
    case_id = _open(api, astronaut_jpeg)
    case = api.client.get(f"/api/v1/cases/{case_id}", headers=api.auth("investigator")).json()
    assert case["status"] == "pending" and case["diagnosis_ref"] == DIAGNOSIS_REF
    refused = _post(api, "investigator", f"/api/v1/cases/{case_id}/traces", policy="who-2020")
    error = error_of(refused, 403)
    assert "approval" in error["message"] and case_id in error["message"]
    # An investigator cannot approve, nor can the owner's own supervisor account exist to.
    error_of(_post(api, "investigator", f"/api/v1/cases/{case_id}/approve", reason="x"), 403)
    r = _post(api, SUPERVISOR, f"/api/v1/cases/{case_id}/approve", reason="lab-confirmed")
    assert r.status_code == 200 and r.json() == {"case_id": case_id, "status": "approved"}
    traced = _post(api, "investigator", f"/api/v1/cases/{case_id}/traces", policy="who-2020")
    assert traced.status_code == 201, traced.text
    again = _post(api, SUPERVISOR, f"/api/v1/cases/{case_id}/reject", reason="late")
    assert "not pending" in error_of(again, 422)["message"]


def test_supervisors_list_every_pending_case_investigators_their_own(
    api: Api, astronaut_jpeg: bytes
) -> None:
    mine = _open(api, astronaut_jpeg)
    theirs = _open(api, astronaut_jpeg, owner=OTHER_INVESTIGATOR)
    r = api.client.get("/api/v1/cases?status=pending", headers=api.auth(SUPERVISOR))
    listed = {c["case_id"]: c for c in r.json()["cases"]}
    assert {mine, theirs} <= set(listed)
    assert listed[theirs]["owner"] == OTHER_INVESTIGATOR
    own = api.client.get("/api/v1/cases", headers=api.auth("investigator")).json()["cases"]
    assert theirs not in {c["case_id"] for c in own}
    bad = api.client.get("/api/v1/cases?status=open", headers=api.auth(SUPERVISOR))
    assert bad.status_code == 422


def test_a_window_or_consent_that_does_not_fit_is_refused_naming_the_field(
    api: Api, astronaut_jpeg: bytes
) -> None:
    for extra, field in (
        ({"from": "2026-10-01T00:00:00Z", "to": "2026-11-20T00:00:00Z"}, "from"),
        ({"from": "2000-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "to"),
        ({"diagnosis_ref": "  "}, "diagnosis_ref"),
    ):
        data, files = case_form(astronaut_jpeg)
        data.update(extra)
        with api.env.unchanged():
            r = api.client.post(
                "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
            )
        assert error_of(r, 422)["field"] == field, (extra, r.text)
    data, files = case_form(astronaut_jpeg, consent=b"two bytes, text")
    with api.env.unchanged():
        r = api.client.post(
            "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
        )
    error = error_of(r, 422)
    assert error["field"] == "consent_file" and "consent-form.pdf" in error["message"]


def test_a_withdrawal_closes_the_case(api: Api, astronaut_jpeg: bytes) -> None:
    case_id = _open(api, astronaut_jpeg)
    error_of(_post(api, OTHER_INVESTIGATOR, f"/api/v1/cases/{case_id}/withdraw", reason="x"), 403)
    r = _post(api, SUPERVISOR, f"/api/v1/cases/{case_id}/withdraw", reason="patient withdrew")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["closed_reason"] == "withdrawn"
    case = api.client.get(f"/api/v1/cases/{case_id}", headers=api.auth("investigator")).json()
    assert case["status"] == "closed" and case["closed_reason"] == "withdrawn"


def test_limits_and_the_audit_report(api: Api) -> None:
    shown = api.client.get("/api/v1/limits", headers=api.auth("admin")).json()
    assert shown["max_case_window_days"] == 14 and shown["max_case_cameras"] == 500
    assert shown["max_case_open_days"] == 30
    r = api.client.put("/api/v1/limits", headers=api.auth("admin"), json={"max_case_open_days": 45})
    assert r.status_code == 200 and r.json()["max_case_open_days"] == 45
    assert "max_case_open_days" not in r.json()["defaults"]
    bad = api.client.put("/api/v1/limits", headers=api.auth("admin"), json={"max_case_cameras": 0})
    assert error_of(bad, 422)["field"] == "max_case_cameras"
    report = api.client.get("/api/v1/audit/report", headers=api.auth("auditor"))
    assert report.status_code == 200, report.text
    assert {"investigators", "flags", "period_from", "period_to"} == set(report.json())
    bad_period = api.client.get("/api/v1/audit/report?from=soon", headers=api.auth("auditor"))
    assert error_of(bad_period, 422)["field"] == "from"
