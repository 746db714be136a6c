"""Site plans and camera recalibration through the services: stored with their scale and
audited for an admin, refused for other roles, and bad images or numbers refused with a
message naming the file or field, nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.core.errors import AuthError, InputError, NotFoundError
from cctrace.geometry.calibration import fit_calibration
from cctrace.services import cameras, sites
from cctrace.services.auth import Context, authenticate
from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.security.conftest import SecEnv, make_env

# A floor square seen in perspective: four image points and where they lie on the floor.
IMAGE_PX = [[100.0, 400.0], [540.0, 400.0], [420.0, 200.0], [220.0, 200.0]]
FLOOR_M = [[0.0, 0.0], [4.0, 0.0], [4.0, 6.0], [0.0, 6.0]]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> SecEnv:
    return make_env(tmp_path_factory.mktemp("sites"))


@pytest.fixture
def store(env: SecEnv) -> Iterator[Store]:
    with Store.open(Home.at(env.home, env={})) as s:
        yield s


def ctx_of(store: Store, env: SecEnv, role: str) -> Context:
    return authenticate(store, env.token_of(role), "test", via="api")


def plan_image(tmp_path: Path, name: str, width: int = 320, height: int = 200) -> Path:
    """A drawn floor plan (walls and a door), encoded by OpenCV as the name's type."""
    img = np.full((height, width, 3), 245, np.uint8)
    cv2.rectangle(img, (10, 10), (width - 10, height - 10), (40, 40, 40), 3)
    cv2.line(img, (width // 2, 10), (width // 2, height - 60), (40, 40, 40), 3)
    ok, data = cv2.imencode(Path(name).suffix, img)
    assert ok
    path = tmp_path / name
    path.write_bytes(data.tobytes())
    return path


def audit_of(store: Store, action: str) -> list[str]:
    return [e.target for e in store.audit_entries() if e.action == action]


@pytest.mark.parametrize("name", ["clinic-plan.png", "clinic-plan.jpg"])
def test_an_admin_stores_a_site_plan_with_its_scale(
    env: SecEnv, store: Store, tmp_path: Path, name: str
) -> None:
    path = plan_image(tmp_path, name, 320, 200)
    before = len(audit_of(store, "set_site_plan"))
    out = sites.set_site_plan(ctx_of(store, env, "admin"), "clinic", path, name, 0.05, 20.0)
    assert (out.site, out.file_name, out.width_px, out.height_px) == ("clinic", name, 320, 200)
    assert out.media_type == ("image/png" if name.endswith(".png") else "image/jpeg")
    # The origin's row defaults to the bottom: a plan whose 0,0 m is its bottom-left corner.
    assert (out.metres_per_px, out.origin_x_px, out.origin_y_px) == (0.05, 20.0, 200.0)
    plan, data = sites.site_plan_image(ctx_of(store, env, "investigator"), "clinic")
    assert data == path.read_bytes() and plan.sha256 == out.sha256
    listed = sites.list_site_plans(ctx_of(store, env, "admin")).site_plans
    assert [p.site for p in listed] == ["clinic"]  # a second upload replaces the first
    targets = audit_of(store, "set_site_plan")
    assert len(targets) == before + 1 and name in targets[-1] and "clinic" in targets[-1]


@pytest.mark.parametrize("role", ["investigator", "auditor", "ingest"])
def test_only_an_admin_may_store_a_site_plan(
    env: SecEnv, store: Store, tmp_path: Path, role: str
) -> None:
    path = plan_image(tmp_path, "plan.png")
    before = store.site_plans()
    with pytest.raises(AuthError, match="manage cameras"):
        sites.set_site_plan(ctx_of(store, env, role), "clinic", path, "plan.png", 0.05)
    assert store.site_plans() == before


def test_an_auditor_may_not_read_a_site_plan(env: SecEnv, store: Store) -> None:
    with pytest.raises(AuthError):
        sites.site_plan_image(ctx_of(store, env, "auditor"), "clinic")


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    good = plan_image(tmp_path, "good.png").read_bytes()
    files = {
        "empty.png": b"",
        "notes.png": b"this is a text file, not a plan\n",
        "plan.gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        "cut.png": good[: len(good) // 2],
        "huge.png": good[:16] + (60_000).to_bytes(4, "big") + (60_000).to_bytes(4, "big"),
    }
    out = {}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        out[name] = tmp_path / name
    return out


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.png", "is empty"),
        ("notes.png", "not a PNG or JPEG"),
        ("plan.gif", "not a PNG or JPEG"),
        ("cut.png", "could not be decoded"),
        ("huge.png", "60000 x 60000 pixels"),
    ],
)
def test_a_bad_image_is_refused_naming_the_file_and_nothing_is_stored(
    env: SecEnv, store: Store, tmp_path: Path, name: str, words: str
) -> None:
    path = _bad_files(tmp_path)[name]
    before = store.site_plans()
    with pytest.raises(InputError) as err:
        sites.set_site_plan(ctx_of(store, env, "admin"), "clinic", path, name, 0.05)
    assert name in err.value.message and words in err.value.message, err.value.message
    assert err.value.field == "site_plan"
    assert store.site_plans() == before


@pytest.mark.parametrize(
    ("site", "mpp", "origin_x", "field"),
    [
        ("nowhere", 0.05, 0.0, "site"),
        ("  ", 0.05, 0.0, "site"),
        ("clinic", 0.0, 0.0, "metres_per_px"),
        ("clinic", float("nan"), 0.0, "metres_per_px"),
        ("clinic", 0.05, float("inf"), "origin_x_px"),
    ],
)
def test_a_bad_site_or_scale_is_refused_naming_the_field(
    env: SecEnv, store: Store, tmp_path: Path, site: str, mpp: float, origin_x: float, field: str
) -> None:
    path = plan_image(tmp_path, "plan.png")
    before = store.site_plans()
    with pytest.raises(InputError) as err:
        sites.set_site_plan(ctx_of(store, env, "admin"), site, path, "plan.png", mpp, origin_x)
    assert err.value.field == field, err.value.message
    assert store.site_plans() == before


def test_an_unknown_site_has_no_plan(env: SecEnv, store: Store) -> None:
    with pytest.raises(NotFoundError, match="no plan image"):
        sites.site_plan_image(ctx_of(store, env, "admin"), "station")


# -- recalibration -------------------------------------------------------------------------


def test_an_admin_recalibrates_a_camera_and_sees_its_reprojection_error(
    env: SecEnv, store: Store
) -> None:
    fitted = fit_calibration(IMAGE_PX, FLOOR_M, image_size_px=(640, 480))
    out = cameras.set_calibration(ctx_of(store, env, "admin"), "lobby", fitted)
    assert out.calibrated and out.reprojection_error_m == pytest.approx(fitted.reprojection_error_m)
    stored = store.get_camera("lobby")
    assert stored is not None and stored.calibration_json is not None
    assert json.loads(stored.calibration_json)["image_size"] == [640, 480]
    # Again, with one point moved: the new error replaces the old, and both are audited.
    moved = [*IMAGE_PX[:3], [230.0, 190.0]]
    again = cameras.set_calibration(
        ctx_of(store, env, "admin"), "lobby", fit_calibration(moved, FLOOR_M)
    )
    assert again.reprojection_error_m != out.reprojection_error_m
    last = audit_of(store, "calibrate_camera")[-1]
    assert "camera lobby" in last and f"{again.reprojection_error_m:.3f} m" in last
    assert f"was {out.reprojection_error_m:.3f} m" in last


def test_recalibration_is_for_admins_and_known_cameras(env: SecEnv, store: Store) -> None:
    fitted = fit_calibration(IMAGE_PX, FLOOR_M)
    with pytest.raises(AuthError, match="manage cameras"):
        cameras.set_calibration(ctx_of(store, env, "investigator"), "lobby", fitted)
    with pytest.raises(NotFoundError, match="unknown camera 'attic'") as err:
        cameras.set_calibration(ctx_of(store, env, "admin"), "attic", fitted)
    assert err.value.field == "camera_id"
