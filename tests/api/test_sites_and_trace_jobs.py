"""Issue 13's API additions over HTTP: a site's plan image (upload, list, read; a bad file
refused naming it), a camera's recalibration, and a trace as a job (queued by the route,
run as the server's worker runs it, its result the saved trace)."""

from __future__ import annotations

import cv2
import numpy as np

from cctrace.services.jobs import run_job
from cctrace.store.home import Home
from tests.api.conftest import Api, case_form, error_of
from tests.cases import approve

POINTS = [
    {"image": [100, 400], "floor": [0, 0]},
    {"image": [540, 400], "floor": [4, 0]},
    {"image": [420, 200], "floor": [4, 6]},
    {"image": [220, 200], "floor": [0, 6]},
    {"image": [320, 300], "floor": [2, 2.4]},
]
CALIBRATION = {"points": POINTS, "image_size": [640, 480]}


def _png(width: int, height: int) -> bytes:
    img = np.full((height, width, 3), 230, np.uint8)
    cv2.line(img, (0, 0), (width - 1, height - 1), (20, 20, 20), 2)
    ok, data = cv2.imencode(".png", img)
    assert ok
    return data.tobytes()


def test_a_site_plan_is_uploaded_listed_and_served(api: Api) -> None:
    png = _png(300, 200)
    r = api.client.post(
        "/api/v1/site-plans",
        headers=api.auth("admin"),
        data={"site": "clinic", "metres_per_px": "0.05", "origin_x_px": "30"},
        files={"site_plan": ("ground-floor.png", png, "image/png")},
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    assert (plan["site"], plan["file_name"], plan["media_type"]) == (
        "clinic",
        "ground-floor.png",
        "image/png",
    )
    assert (plan["width_px"], plan["height_px"], plan["origin_y_px"]) == (300, 200, 200.0)
    listed = api.client.get("/api/v1/site-plans", headers=api.auth("investigator")).json()
    assert [p["site"] for p in listed["site_plans"]] == ["clinic"]
    image = api.client.get("/api/v1/site-plans/clinic/image", headers=api.auth("investigator"))
    assert image.status_code == 200 and image.content == png
    assert image.headers["content-type"] == "image/png"
    missing = error_of(
        api.client.get("/api/v1/site-plans/station/image", headers=api.auth("admin")), 404
    )
    assert "station" in missing["message"]


def test_a_bad_site_plan_is_refused_naming_the_clients_file(api: Api) -> None:
    before = api.client.get("/api/v1/site-plans", headers=api.auth("admin")).json()
    r = api.client.post(
        "/api/v1/site-plans",
        headers=api.auth("admin"),
        data={"site": "clinic", "metres_per_px": "0.05"},
        files={"site_plan": ("scan.png", b"%PDF-1.4 not an image", "image/png")},
    )
    error = error_of(r, 422)
    assert error["field"] == "site_plan" and "site plan scan.png" in error["message"], error
    assert "/uploads/" not in error["message"]
    assert api.client.get("/api/v1/site-plans", headers=api.auth("admin")).json() == before


def test_a_camera_is_recalibrated_and_shows_its_reprojection_error(api: Api) -> None:
    r = api.client.put(
        "/api/v1/cameras/lobby/calibration", headers=api.auth("admin"), json=CALIBRATION
    )
    assert r.status_code == 200, r.text
    camera = r.json()
    assert camera["id"] == "lobby" and camera["calibrated"] is True
    assert 0 < camera["reprojection_error_m"] < 0.5
    listed = api.client.get("/api/v1/cameras", headers=api.auth("admin")).json()["cameras"]
    assert next(c for c in listed if c["id"] == "lobby") == camera
    three = {"points": POINTS[:3]}
    bad = api.client.put("/api/v1/cameras/lobby/calibration", headers=api.auth("admin"), json=three)
    assert error_of(bad, 422)["field"] == "calibration"
    unknown = api.client.put(
        "/api/v1/cameras/attic/calibration", headers=api.auth("admin"), json=CALIBRATION
    )
    assert "unknown camera 'attic'" in error_of(unknown, 404)["message"]


def test_a_trace_job_is_queued_then_holds_the_saved_trace(api: Api, astronaut_jpeg: bytes) -> None:
    data, files = case_form(astronaut_jpeg, label="job")
    opened = api.client.post(
        "/api/v1/cases", headers=api.auth("investigator"), data=data, files=files
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["case_id"]
    approve(api.env.home, case_id)
    r = api.client.post(
        f"/api/v1/cases/{case_id}/trace-jobs",
        headers=api.auth("investigator"),
        json={"policy": "cdc-2020"},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    queued = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("investigator")).json()
    assert (queued["kind"], queued["state"], queued["result"]) == ("trace", "queued", None)
    run_job(Home.at(api.env.home, env={}), job_id)  # what the server's worker process runs
    done = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("investigator")).json()
    assert done["state"] == "done" and done["progress"] == 1.0, done
    trace_id = done["result"]["trace_id"]
    saved = api.client.get(
        f"/api/v1/cases/{case_id}/traces/{trace_id}", headers=api.auth("investigator")
    )
    assert saved.status_code == 200 and saved.json() == done["result"]
    assert done["result"]["policy"] == "cdc-2020"
