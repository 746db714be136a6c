"""Uploads over their limit answer 413 (with the field) and leave nothing behind: at once
from the Content-Length, and while a chunked body streams in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cctrace.api.settings import UploadLimits
from tests.api.conftest import Api, case_form, error_of, make_app

LIMITS = UploadLimits(
    footage_bytes=20_000,
    photo_bytes=10_000,
    max_photos=2,
    consent_bytes=5_000,
    camera_file_bytes=3_000,
    json_bytes=2_000,
)


@pytest.fixture(scope="module")
def small(api: Api) -> Iterator[TestClient]:
    with TestClient(make_app(api.env.home, uploads=LIMITS)) as client:
        yield client


def _left(api: Api) -> list[str]:
    return [p.name for p in (api.env.home / "uploads" / "requests").iterdir()]


def test_a_json_body_over_its_limit(api: Api, small: TestClient) -> None:
    body = {"name": "x" * 3_000, "role": "auditor"}
    with api.env.unchanged():
        r = small.post("/api/v1/users", headers=api.auth("admin"), json=body)
    assert error_of(r, 413)["code"] == "too_large"


def test_a_camera_may_be_larger_than_other_json(api: Api, small: TestClient) -> None:
    points = [{"image": [i, 2 * i], "floor": [0.1 * i, 0.3 * i]} for i in range(40)]
    body = {"camera_id": "cam-big", "name": "Big", "calibration": {"points": points}}
    r = small.post("/api/v1/cameras", headers=api.auth("admin"), json=body)
    assert r.status_code == 422, r.text  # read (these points are collinear), not refused
    body["calibration"] = {"points": points * 3}
    assert error_of(small.post("/api/v1/cameras", headers=api.auth("admin"), json=body), 413)


def test_a_photo_over_its_limit(api: Api, small: TestClient) -> None:
    data, files = case_form(b"\xff" * 12_000)
    with api.env.unchanged():
        r = small.post("/api/v1/cases", headers=api.auth("investigator"), data=data, files=files)
    error = error_of(r, 413)
    assert error["field"] == "patient_photo" and "patient.jpg" in error["message"]
    assert _left(api) == []


def test_a_consent_form_over_its_limit(api: Api, small: TestClient) -> None:
    data, files = case_form(b"\xff" * 100, consent=b"%PDF" + b"0" * 6_000)
    r = small.post("/api/v1/cases", headers=api.auth("investigator"), data=data, files=files)
    assert error_of(r, 413)["field"] == "consent_file"


def test_too_many_photos(api: Api, small: TestClient) -> None:
    data, files = case_form(b"\xff" * 100)
    files = files[:1] * 3 + files[1:]
    r = small.post("/api/v1/cases", headers=api.auth("investigator"), data=data, files=files)
    assert error_of(r, 422)["field"] == "patient_photo"


def test_footage_over_its_limit(api: Api, small: TestClient) -> None:
    files = {"file": ("big.mp4", b"\x00" * 30_000, "video/mp4")}
    with api.env.unchanged():
        r = small.post(
            "/api/v1/footage", headers=api.auth("ingest"), data={"camera_id": "lobby"}, files=files
        )
    assert error_of(r, 413)["field"] == "file"
    assert _left(api) == []


def test_a_declared_length_over_the_route_limit_is_refused_before_reading(
    api: Api, small: TestClient
) -> None:
    r = small.post(
        "/api/v1/footage",
        headers={**api.auth("ingest"), "Content-Type": "multipart/form-data; boundary=b"},
        content=b"x" * 1_100_000,
    )
    assert error_of(r, 413)["code"] == "too_large"


def test_a_chunked_body_is_counted(api: Api, small: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'", "role": "auditor"}'

    with api.env.unchanged():
        r = small.post(
            "/api/v1/users",
            headers={**api.auth("admin"), "Content-Type": "application/json"},
            content=chunks(),
        )
    assert error_of(r, 413)["code"] == "too_large"
