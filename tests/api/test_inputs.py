"""Bad input answers 422 naming the field (`error.field`), changes nothing, never a 500;
uploads are streamed into a private folder of the data folder and removed after use."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from tests.api.conftest import Api, case_form, error_of


def _requests_left(api: Api) -> list[str]:
    return [p.name for p in (api.env.home / "uploads" / "requests").iterdir()]


def test_no_consent_file_opens_nothing(api: Api, astronaut_jpeg: bytes) -> None:
    data, files = case_form(astronaut_jpeg, consent=None)
    with api.env.unchanged():
        r = api.client.post(
            "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
        )
    error = error_of(r, 422)
    assert error["field"] == "consent_file" and error["code"] == "invalid_input"
    assert _requests_left(api) == []


def test_an_empty_consent_file_opens_nothing_and_is_named_as_sent(
    api: Api, astronaut_jpeg: bytes
) -> None:
    data, files = case_form(astronaut_jpeg, consent=b"")
    with api.env.unchanged():
        r = api.client.post(
            "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
        )
    error = error_of(r, 422)
    assert error["field"] == "consent_file"
    assert "consent-form.pdf" in error["message"] and "empty" in error["message"]
    assert str(api.env.home) not in error["message"]  # never the server's own path
    assert _requests_left(api) == []


def test_a_photo_without_a_face_is_named(api: Api) -> None:
    ok, grey = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))
    assert ok
    data, files = case_form(grey.tobytes())
    with api.env.unchanged():
        r = api.client.post(
            "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
        )
    error = error_of(r, 422)
    assert error["code"] == "no_face" and error["field"] == "patient_photo"
    assert "patient.jpg" in error["message"] and str(api.env.home) not in error["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"consent_date": "yesterday"}, "consent_date"),
        ({"from": "soon"}, "from"),
        ({"consent_given_by": " "}, "consent_given_by"),
    ],
)
def test_bad_case_fields_are_named(
    api: Api, astronaut_jpeg: bytes, change: dict[str, str], field: str
) -> None:
    data, files = case_form(astronaut_jpeg)
    data.update(change)
    with api.env.unchanged():
        r = api.client.post(
            "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
        )
    assert error_of(r, 422)["field"] == field


def test_a_missing_photo_is_named(api: Api) -> None:
    data, files = case_form(None)
    r = api.client.post("/api/v1/cases", headers=api.auth("investigator"), data=data, files=files)
    assert error_of(r, 422)["field"] == "patient_photo"


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "field"),
    [
        ("POST", "/api/v1/users", {"json": {"name": "x", "role": "root"}}, "role"),
        ("POST", "/api/v1/users", {"json": {"role": "auditor"}}, "name"),
        (
            "POST",
            "/api/v1/users",
            {"json": {"name": "x", "role": "auditor", "expires_in_days": 0}},
            "expires_in_days",
        ),
        ("PUT", "/api/v1/retention", {"json": {"retention_days": 0}}, "retention_days"),
        ("POST", "/api/v1/purge", {"json": {"older_than_days": -1}}, "older_than_days"),
        ("POST", "/api/v1/cameras", {"json": {"camera_id": "a b", "name": "A"}}, None),
        (
            "POST",
            "/api/v1/cameras",
            {"json": {"camera_id": "cal", "name": "A", "calibration": {"points": []}}},
            "calibration",
        ),
        ("POST", "/api/v1/cameras", {"json": {"camera_id": "c", "name": "A", "lat": "n"}}, "lat"),
    ],
)
def test_bad_admin_input_is_named(
    api: Api, method: str, url: str, kwargs: dict[str, Any], field: str | None
) -> None:
    with api.env.unchanged():
        r = api.client.request(method, url, headers=api.auth("admin"), **kwargs)
    assert error_of(r, 422)["field"] == field


def test_bad_report_and_trace_parameters_are_named(api: Api) -> None:
    base = "/api/v1/cases/case-000000000000/traces"
    r = api.client.get(f"{base}/t/report?format=docx", headers=api.auth("investigator"))
    assert error_of(r, 422)["field"] == "format"
    r = api.client.post(base, headers=api.auth("investigator"), json={"policy": "nope"})
    assert error_of(r, 422)["field"] == "policy"


def test_the_policies_offered_are_the_configured_ones() -> None:
    from typing import get_args

    from cctrace.api.routes.traces import PolicyName
    from cctrace.config import POLICIES

    assert set(get_args(PolicyName)) == set(POLICIES)


@pytest.mark.parametrize(
    ("content", "data", "field", "words"),
    [
        (b"these are notes, not a video", {"camera_id": "lobby"}, "file", "notes.txt"),
        (None, {"camera_id": "no-such-camera"}, "camera_id", "unknown camera"),
        (None, {"camera_id": "lobby", "start": "tea time"}, "start", "ISO 8601"),
        (None, {"camera_id": "lobby", "start": "2099-01-01T00:00:00Z"}, "start", "future"),
    ],
)
def test_bad_footage_queues_no_job(
    api: Api,
    tiny_video: bytes,
    content: bytes | None,
    data: dict[str, str],
    field: str,
    words: str,
) -> None:
    name = "notes.txt" if content is not None else "clip.mp4"
    files = {"file": (name, content if content is not None else tiny_video, "video/mp4")}
    with api.env.unchanged():
        r = api.client.post("/api/v1/footage", headers=api.auth("ingest"), data=data, files=files)
    error = error_of(r, 422)
    assert error["field"] == field and words in error["message"], error
    assert str(api.env.home) not in error["message"]
    assert _requests_left(api) == []


def test_footage_without_a_file_is_named(api: Api) -> None:
    r = api.client.post("/api/v1/footage", headers=api.auth("ingest"), data={"camera_id": "lobby"})
    assert error_of(r, 422)["field"] == "file"


def test_an_unknown_user_is_404(api: Api) -> None:
    r = api.client.delete("/api/v1/users/nobody-at-all", headers=api.auth("admin"))
    assert error_of(r, 404)["code"] == "not_found"


def test_a_broken_multipart_body_is_422(api: Api) -> None:
    r = api.client.post(
        "/api/v1/footage",
        headers={**api.auth("ingest"), "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--\r\n",
    )
    assert error_of(r, 422)["code"] == "invalid_input"
    assert _requests_left(api) == []
