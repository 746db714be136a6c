"""Site plans and recalibration on the admin pages, and the case page's route map over the
site's plan: through the pages, into the same services as the API."""

from __future__ import annotations

import html
import json
import re

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from cctrace.schemas import SitePlanOut
from cctrace.web.views import plan_bounds
from tests.web_unit.conftest import HTML, WebSite, sign_in

CALIBRATION_CSV = "u,v,x_m,y_m\n" + "".join(
    f"{100 + 50 * x},{500 - 40 * y},{x},{y}\n"
    for x, y in [(0, 0), (4, 0), (4, 6), (0, 6), (2, 3), (1, 5)]
)


def _png(width: int = 400, height: int = 300) -> bytes:
    img = np.full((height, width, 3), 240, np.uint8)
    cv2.rectangle(img, (8, 8), (width - 8, height - 8), (30, 30, 30), 4)
    ok, data = cv2.imencode(".png", img)
    assert ok
    return data.tobytes()


@pytest.fixture
def admin(site: WebSite) -> tuple[TestClient, str]:
    client = site.client()
    return client, sign_in(client, site.env.token_of("admin"))


def _upload(
    client: TestClient, csrf: str, name: str, data: bytes, **fields: str
) -> tuple[int, str, str]:
    form = {"csrf_token": csrf, "site": "clinic", "metres_per_px": "0.1"} | fields
    r = client.post(
        "/admin/sites",
        data=form,
        files=[("site_plan", (name, data, "image/png"))],
        follow_redirects=False,
    )
    return r.status_code, r.headers.get("location", ""), r.text


def test_an_admin_uploads_a_site_plan_and_the_case_map_draws_over_it(
    site: WebSite, admin: tuple[TestClient, str]
) -> None:
    client, csrf = admin
    png = _png(400, 300)
    # 0,0 m of the plan at pixel (40, 260): the lobby camera (0, 0 m) sits there.
    status, location, text = _upload(
        client, csrf, "clinic-ground-floor.png", png, origin_x_px="40", origin_y_px="260"
    )
    assert status == 303, text[:500]
    page = client.get(location).text
    stored = re.search(r'data-testid="site-plan-stored">(.*?)</p>', page, re.S)
    assert stored is not None, page[:3000]
    words = " ".join(stored.group(1).split())
    assert "clinic-ground-floor.png, 400 × 300 pixels at 0.100 m a pixel" in words, words
    assert "(40 m × 30 m)" in words
    assert client.get("/admin/sites/clinic/image").content == png

    inv = site.client()
    sign_in(inv, site.env.token_of("investigator"))
    case_page = inv.get(f"/cases/{site.case_id}").text
    found = re.search(r"data-map='([^']*)'", case_page)
    assert found is not None
    data = json.loads(html.unescape(found.group(1)))
    assert data["frame"] == "site" and data["site"] == "clinic"
    plan = data["plan"]
    # West edge 40 px left of 0 m, north edge 260 px above it, at 0.1 m a pixel.
    assert plan["bounds"] == [[-4.0, -4.0], [26.0, 36.0]]
    assert "over its plan image (clinic-ground-floor.png)" in case_page
    image = inv.get(plan["url"])
    assert image.status_code == 200 and image.content == png
    assert image.headers["content-type"] == "image/png"


def test_plan_bounds_put_the_origin_pixel_at_zero_metres() -> None:
    plan = SitePlanOut(
        site="s",
        file_name="p.png",
        media_type="image/png",
        width_px=1000,
        height_px=500,
        metres_per_px=0.02,
        origin_x_px=250.0,
        origin_y_px=500.0,
        sha256="0" * 64,
        uploaded_by="admin",
        uploaded_at="2026-12-07T00:00:00+00:00",
    )
    (south, west), (north, east) = plan_bounds(plan)
    assert (east - west, north - south) == pytest.approx((20.0, 10.0))
    # Pixel column 250 and the bottom row are 0 m: 5 m of plan lie west of it, none south.
    assert (west, south) == pytest.approx((-5.0, 0.0))


@pytest.mark.parametrize(
    ("name", "data", "fields", "message"),
    [
        ("notes.png", b"meeting notes, not a plan", {}, "site plan notes.png is not a PNG or JPEG"),
        ("cut.png", _png()[:200], {}, "site plan cut.png could not be decoded"),
        ("plan.png", _png(), {"metres_per_px": "0"}, "metres per pixel must be a positive"),
        ("plan.png", _png(), {"metres_per_px": ""}, "give the plan's scale"),
        ("plan.png", _png(), {"site": "nowhere"}, "no camera is at site 'nowhere'"),
    ],
    ids=["not an image", "a cut image", "zero scale", "no scale", "unknown site"],
)
def test_a_bad_site_plan_is_refused_naming_the_file_or_field_and_nothing_is_stored(
    site: WebSite,
    admin: tuple[TestClient, str],
    name: str,
    data: bytes,
    fields: dict[str, str],
    message: str,
) -> None:
    client, csrf = admin
    with site.store() as store:
        before = store.site_plans()
    status, _, text = _upload(client, csrf, name, data, **fields)
    assert status == 422
    error = re.search(r'data-testid="form-error">(.*?)</p>', text, re.S)
    assert error is not None and "Nothing was stored" in error.group(1)
    assert message in html.unescape(error.group(1)), error.group(1)
    with site.store() as store:
        assert store.site_plans() == before


def test_an_admin_recalibrates_an_existing_camera(
    site: WebSite, admin: tuple[TestClient, str]
) -> None:
    client, csrf = admin
    page = client.get("/admin/cameras").text
    assert 'data-testid="camera-recalibrate"' in page
    before = len(site.env.audit_rows())
    r = client.post(
        "/admin/cameras/calibration",
        data={"csrf_token": csrf, "camera_id": "cafe"},
        files=[("calibration", ("cafe.csv", CALIBRATION_CSV.encode(), "text/csv"))],
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/cameras?calibrated=cafe"
    page = client.get(r.headers["location"]).text
    notice = re.search(r'data-testid="camera-recalibrated">(.*?)</p>', page, re.S)
    assert notice is not None and "reprojection error is 0.000 m" in notice.group(1)
    with site.store() as store:
        cafe = store.get_camera("cafe")
    assert cafe is not None and cafe.reprojection_error_m == pytest.approx(0.0, abs=1e-6)
    assert [r for r in site.env.audit_rows()[before:] if r[2] == "calibrate_camera"] != []


def test_a_bad_recalibration_keeps_the_cameras_calibration(
    site: WebSite, admin: tuple[TestClient, str]
) -> None:
    client, csrf = admin
    with site.store() as store:
        before = store.get_camera("lobby")
    three = "u,v,x_m,y_m\n100,500,0,0\n300,500,4,0\n300,260,4,6\n"
    r = client.post(
        "/admin/cameras/calibration",
        data={"csrf_token": csrf, "camera_id": "lobby"},
        files=[("calibration", ("lobby-points.csv", three.encode(), "text/csv"))],
    )
    assert r.status_code == 422
    error = re.search(r'data-testid="form-error">(.*?)</p>', r.text, re.S)
    assert error is not None, r.text[:2000]
    said = html.unescape(error.group(1))
    assert "Camera lobby keeps its calibration" in said and "lobby-points.csv" in said, said
    assert "/uploads/" not in said  # the server's own path is never shown
    with site.store() as store:
        assert store.get_camera("lobby") == before
    # No file chosen: the browser sends an empty, nameless part.
    missing = client.post(
        "/admin/cameras/calibration",
        data={"csrf_token": csrf, "camera_id": "lobby"},
        files=[("calibration", ("", b"", ""))],
    )
    assert missing.status_code == 422 and "choose the calibration file" in missing.text


def test_the_footage_upload_indicator_is_hidden_until_an_upload_starts(
    admin: tuple[TestClient, str],
) -> None:
    client, _ = admin
    page = client.get("/admin/footage", headers=HTML).text
    busy = re.search(r'<p id="footage-busy"[^>]*>', page)
    assert busy is not None and " hidden" in busy.group(0)
    # The page's style keeps a hidden element hidden even where its class is a flex box.
    css = client.get("/static/app.css").text
    assert re.search(r"\[hidden\]\s*\{\s*display:\s*none\s*!important", css)
