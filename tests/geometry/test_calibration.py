"""Calibration: fitting, refusing, reading files, mapping pixels to the floor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.geometry.calibration import (
    Calibration,
    calibration_from_json,
    calibration_to_json,
    fit_calibration,
    foot_point_xy,
    image_to_floor,
    load_calibration,
    rescale_calibration,
)
from tests.geometry.camera_model import PinholeCamera

F64 = NDArray[np.float64]

CAMERA = PinholeCamera(height_m=4.0, tilt_deg=30.0)
CORNERS_M = np.array([[-3.0, 4.0], [3.0, 4.0], [3.0, 12.0], [-3.0, 12.0]])
SIX_M = np.vstack([CORNERS_M, [[0.0, 6.0], [1.0, 9.0]]])
GRID_M = np.stack(np.meshgrid(np.linspace(-3, 3, 5), np.linspace(4, 12, 8)), -1).reshape(-1, 2)


def _test_points_m(camera: PinholeCamera, n: int = 200) -> F64:
    """Random floor points inside the camera's view between 4 and 14 m."""
    rng = np.random.default_rng(1)
    xy = rng.uniform([-4.0, 4.0], [4.0, 14.0], size=(n, 2))
    uv = camera.floor_to_image(xy)
    visible = (uv >= 0).all(axis=1) & (uv[:, 0] <= camera.width_px)
    visible &= uv[:, 1] <= camera.height_px
    return xy[visible]


@pytest.mark.parametrize(
    "camera",
    [
        CAMERA,
        PinholeCamera(height_m=6.0, tilt_deg=40.0, hfov_deg=90.0),
        PinholeCamera(height_m=5.0, tilt_deg=25.0, hfov_deg=90.0, width_px=1280, height_px=720),
    ],
    ids=["4m-30deg", "6m-40deg-wide", "5m-25deg-720p"],
)
@pytest.mark.parametrize("floor_m", [CORNERS_M, SIX_M, GRID_M], ids=["4pts", "6pts", "40pts"])
def test_exact_correspondences_recover_floor_to_a_centimetre(
    camera: PinholeCamera,
    floor_m: F64,
) -> None:
    image_px = camera.floor_to_image(floor_m)
    cal = fit_calibration(image_px, floor_m, image_size_px=camera.image_size_px)
    assert cal.reprojection_error_m < 1e-4
    assert cal.point_errors_m.shape == (len(floor_m),)
    test_m = _test_points_m(camera)
    assert len(test_m) > 50
    got_m = image_to_floor(cal, camera.floor_to_image(test_m))
    assert np.abs(got_m - test_m).max() < 0.01


@pytest.mark.parametrize("sigma_m", [0.02, 0.05, 0.1])
def test_reprojection_error_reports_floor_noise(sigma_m: float) -> None:
    # Noise on the floor measurements (tape and plan errors): with N points and the 8
    # degrees of freedom of a homography, the expected RMS residual is
    # sigma * sqrt(1 - 8 / 2N) per coordinate pair.
    rng = np.random.default_rng(int(sigma_m * 1000))
    noisy_m = GRID_M + rng.normal(0.0, sigma_m, GRID_M.shape)
    cal = fit_calibration(CAMERA.floor_to_image(GRID_M), noisy_m)
    expected = sigma_m * np.sqrt(2 * (1 - 8 / (2 * len(GRID_M))))
    assert cal.reprojection_error_m == pytest.approx(expected, rel=0.25)
    # And the fitted mapping is closer to the truth than the noisy measurements.
    test_m = _test_points_m(CAMERA)
    err = np.linalg.norm(image_to_floor(cal, CAMERA.floor_to_image(test_m)) - test_m, axis=1)
    assert np.sqrt(np.mean(err**2)) < sigma_m


def _pairs(floor_m: F64) -> tuple[F64, F64]:
    return CAMERA.floor_to_image(floor_m), floor_m


def _refusal_cases() -> list[tuple[str, F64, F64, str]]:
    cases = []
    img, flo = _pairs(CORNERS_M[:3])
    cases.append(("three points", img, flo, "at least 4"))
    img, flo = _pairs(SIX_M)
    img_dup = img.copy()
    img_dup[4] = img_dup[1] + 0.1
    cases.append(("duplicate image point", img_dup, flo, "point 2 and point 5 have the same image"))
    flo_dup = flo.copy()
    flo_dup[5] = flo_dup[0]
    cases.append(("duplicate floor point", img, flo_dup, "point 1 and point 6 have the same floor"))
    three_collinear_m = np.array([[-3.0, 4.0], [0.0, 4.0], [3.0, 4.0], [0.0, 10.0]])
    img, flo = _pairs(three_collinear_m)
    cases.append(("3 of 4 collinear", img, flo, "point 1, point 2, point 3 lie on one line"))
    line_m = np.column_stack([np.linspace(-3, 3, 6), np.linspace(4, 12, 6)])
    img, flo = _pairs(line_m)
    cases.append(("all collinear", img, flo, "all points lie on one line in the image"))
    img, flo = _pairs(SIX_M)
    flo_line = np.column_stack([np.linspace(0, 5, 6), np.zeros(6)])
    cases.append(("floor collinear only", img, flo_line, "lie on one line in the floor"))
    almost_m = np.vstack([line_m, [[2.0, 5.0]]])
    img, flo = _pairs(almost_m)
    cases.append(("all but one collinear", img, flo, "all points except point 7 lie on one line"))
    img, flo = _pairs(SIX_M)
    img_nan = img.copy()
    img_nan[2, 1] = np.nan
    cases.append(
        ("NaN image", img_nan, flo, "non-finite image coordinate (NaN or infinity) at point 3")
    )
    flo_inf = flo.copy()
    flo_inf[0, 0] = np.inf
    cases.append(("inf floor", img, flo_inf, "non-finite floor coordinate"))
    img, flo = _pairs(GRID_M)
    flo_typo = flo.copy()
    flo_typo[12] += [0.8, 0.6]  # a misread tape: 1 m off
    cases.append(("one mistyped point", img, flo_typo, "the worst is point 13"))
    img, flo = _pairs(CORNERS_M)
    crossed = flo[[0, 2, 1, 3]]  # floor points listed in another order: a bow tie
    cases.append(("points in another order", img, crossed, "horizon"))
    img, flo = _pairs(SIX_M)
    cases.append(("count mismatch", img, flo[:5], "6 image points but 5 floor points"))
    return cases


@pytest.mark.parametrize(
    ("image_px", "floor_m", "message"),
    [case[1:] for case in _refusal_cases()],
    ids=[case[0] for case in _refusal_cases()],
)
def test_degenerate_input_is_refused(
    image_px: F64,
    floor_m: F64,
    message: str,
) -> None:
    with pytest.raises(InputError, match=r"^cam7\.json: ") as info:
        fit_calibration(image_px, floor_m, source="cam7.json")
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_error_above_threshold_names_worst_point_and_its_error() -> None:
    rng = np.random.default_rng(5)
    noisy_m = GRID_M + rng.normal(0.0, 0.1, GRID_M.shape)
    image_px = CAMERA.floor_to_image(GRID_M)
    assert fit_calibration(image_px, noisy_m, max_error_m=0.5).reprojection_error_m > 0.05
    with pytest.raises(InputError, match=r"above the 0\.100 m limit \(RMS 0\.\d+ m\); the worst"):
        fit_calibration(image_px, noisy_m, max_error_m=0.1)


@pytest.mark.parametrize(
    ("max_error_m", "image_size_px", "message"),
    [
        (0.0, None, "max_error_m must be positive"),
        (0.5, (640, 360), "outside the 640x360 image: point 1, point 2"),
        (0.5, (0, 1080), r"image_size \(0, 1080\) must be positive"),
    ],
)
def test_bad_fit_options_are_refused(
    max_error_m: float, image_size_px: tuple[int, int] | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        fit_calibration(
            CAMERA.floor_to_image(SIX_M), SIX_M, max_error_m, image_size_px=image_size_px
        )


@pytest.mark.parametrize(
    ("box", "foot"),
    [
        ([10, 20, 30, 120], [20, 120]),
        ([0, 0, 0, 0], [0, 0]),
        ([100.5, 50, 101.5, 60], [101, 60]),
    ],
)
def test_foot_point_is_bottom_centre(box: list[float], foot: list[float]) -> None:
    np.testing.assert_allclose(foot_point_xy(np.array([box])), [foot])
    assert foot_point_xy(np.zeros((0, 4))).shape == (0, 2)


def test_points_above_the_horizon_map_to_nan() -> None:
    camera = PinholeCamera(height_m=3.0, tilt_deg=10.0)  # the horizon crosses the image
    cal = fit_calibration(camera.floor_to_image(SIX_M), SIX_M)
    got = image_to_floor(cal, [[960.0, 0.0], [960.0, 1000.0]])
    assert np.isnan(got[0]).all()
    assert np.isfinite(got[1]).all()


def test_rescaled_calibration_maps_substream_pixels_to_the_same_floor() -> None:
    cal = fit_calibration(CAMERA.floor_to_image(SIX_M), SIX_M, image_size_px=CAMERA.image_size_px)
    small = rescale_calibration(cal, (640, 360))
    test_m = _test_points_m(CAMERA)
    uv_small = CAMERA.floor_to_image(test_m) / 3.0
    np.testing.assert_allclose(image_to_floor(small, uv_small), test_m, atol=1e-6)
    assert rescale_calibration(cal, CAMERA.image_size_px) is cal
    with pytest.raises(InputError, match="another aspect ratio"):
        rescale_calibration(cal, (640, 480))


def test_calibration_validates_shapes() -> None:
    with pytest.raises(ValueError, match="must be"):
        Calibration(np.zeros((4, 2)), np.zeros((3, 2)), np.eye(3), 0.0, 0.5, np.zeros(4))


# --- files -------------------------------------------------------------------------------


def _json_doc(floor_m: F64 = SIX_M) -> dict[str, object]:
    image_px = CAMERA.floor_to_image(floor_m)
    return {
        "points": [
            {"image": [float(u), float(v)], "floor": [float(x), float(y)]}
            for (u, v), (x, y) in zip(image_px, floor_m, strict=True)
        ],
        "image_size": [1920, 1080],
    }


def _csv_text(floor_m: F64 = SIX_M) -> str:
    image_px = CAMERA.floor_to_image(floor_m)
    rows = [
        f"{u:.10g},{v:.10g},{x:.10g},{y:.10g}"
        for (u, v), (x, y) in zip(image_px, floor_m, strict=True)
    ]
    return "# measured 2024-05-02 with a laser meter\nu,v,x_m,y_m\n" + "\n".join(rows) + "\n"


def test_json_file_loads_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cam.json"
    path.write_text(json.dumps(_json_doc()))
    cal = load_calibration(path)
    assert cal.image_size_px == (1920, 1080)
    assert cal.max_error_m == 0.5
    stored = json.loads(json.dumps(calibration_to_json(cal)))
    assert stored["reprojection_error_m"] == pytest.approx(cal.reprojection_error_m)
    again = calibration_from_json(stored)
    np.testing.assert_allclose(again.homography, cal.homography, rtol=1e-9, atol=1e-12)
    assert again.image_size_px == cal.image_size_px


def test_csv_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "cam.csv"
    path.write_text(_csv_text())
    cal = load_calibration(path)
    assert len(cal) == 6
    assert cal.image_size_px is None
    test_m = _test_points_m(CAMERA)
    got = image_to_floor(cal, CAMERA.floor_to_image(test_m))
    assert np.abs(got - test_m).max() < 0.01


def test_max_error_from_file_and_override(tmp_path: Path) -> None:
    doc = _json_doc()
    doc["max_error_m"] = 0.25
    path = tmp_path / "cam.json"
    path.write_text(json.dumps(doc))
    assert load_calibration(path).max_error_m == 0.25
    assert load_calibration(path, max_error_m=1.0).max_error_m == 1.0


def _malformed_json_cases() -> list[tuple[str, str, str]]:
    good = _json_doc()
    points = good["points"]
    assert isinstance(points, list)
    cases = [
        ("not json", "{points: [", "not valid JSON (line 1"),
        ("not an object", "[1, 2]", "expected a JSON object"),
        ("missing points", json.dumps({"image_size": [1920, 1080]}), 'missing key "points"'),
        ("points not a list", json.dumps({"points": {"a": 1}}), '"points" must be a list'),
        ("unknown key", json.dumps({**good, "imagesize": [1, 2]}), "unknown key(s) 'imagesize'"),
        ("three points", json.dumps({"points": points[:3]}), "at least 4"),
    ]
    bad_point = [*points[:5], {"image": [1.0, 2.0]}]
    cases.append(("point missing floor", json.dumps({"points": bad_point}), "point 6 must be"))
    bad_number = [*points[:5], {"image": ["12", 2.0], "floor": [0.0, 1.0]}]
    cases.append(("string number", json.dumps({"points": bad_number}), "point 6 image must be"))
    bad_bool = [{"image": [1.0, 2.0], "floor": [True, 1.0]}, *points[1:]]
    cases.append(
        (
            "boolean",
            json.dumps({"points": bad_bool}),
            "point 1 floor must be two numbers [x_m, y_m]",
        )
    )
    triple = [{"image": [1.0, 2.0, 3.0], "floor": [0.0, 1.0]}, *points[1:]]
    cases.append(("three coordinates", json.dumps({"points": triple}), "point 1 image must"))
    cases.append(
        ("bad image size", json.dumps({**good, "image_size": [1920.5, 1080]}), '"image_size"')
    )
    cases.append(("bad max error", json.dumps({**good, "max_error_m": "big"}), '"max_error_m"'))
    return cases


def _malformed_csv_cases() -> list[tuple[str, str, str]]:
    body = _csv_text().split("\n", 2)[2]
    return [
        ("empty", "\n# nothing\n", "empty CSV"),
        ("no header", body, "CSV header is"),
        ("other columns", "x,y,u,v\n" + body, "expected exactly 'u,v,x_m,y_m'"),
        ("short row", "u,v,x_m,y_m\n" + body + "1,2,3\n", "line 8 has 3 columns"),
        ("not a number", "u,v,x_m,y_m\n" + body + "1,2,three,4\n", "line 8 has a value"),
        ("collinear", "u,v,x_m,y_m\n1,1,0,0\n2,2,1,0\n3,3,2,0\n4,4,3,0\n", "one line"),
    ]


@pytest.mark.parametrize(
    ("suffix", "text", "message"),
    [(".json", text, msg) for _, text, msg in _malformed_json_cases()]
    + [(".csv", text, msg) for _, text, msg in _malformed_csv_cases()],
    ids=[f"json-{c[0]}" for c in _malformed_json_cases()]
    + [f"csv-{c[0]}" for c in _malformed_csv_cases()],
)
def test_malformed_files_are_refused_naming_the_file(
    tmp_path: Path, suffix: str, text: str, message: str
) -> None:
    path = tmp_path / f"lobby-cam{suffix}"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_calibration(path)
    assert info.value.message.startswith(f"{path}: ")
    assert message in info.value.message


def test_csv_errors_name_the_line(tmp_path: Path) -> None:
    body = _csv_text(GRID_M).split("\n", 2)[2].splitlines()
    u, v, x, y = body[3].split(",")
    body[3] = f"{u},{v},{float(x) + 4.0},{y}"
    path = tmp_path / "cam.csv"
    path.write_text("u,v,x_m,y_m\n" + "\n".join(body))
    with pytest.raises(InputError, match=r"the worst is point 4 \(line 5\)"):
        load_calibration(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.json", "calibration file not found"), ("cam.yaml", "use .json or .csv")],
)
def test_missing_or_unknown_files_are_refused(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_calibration(tmp_path / name)


def test_floor_frame_is_kept_through_json_and_refused_when_not_a_name(tmp_path: Path) -> None:
    """`floor_frame` names the plan the floor points are in (cameras naming the same
    one have comparable positions); it survives the stored JSON and a stream rescale,
    and anything but a short non-empty name is refused naming the file."""
    from cctrace.geometry.calibration import calibration_from_json, rescale_calibration

    image = [[444.5, 859.5], [1475.5, 859.5], [1191.5, 390.0], [728.5, 390.0], [960.0, 571.5]]
    floor = [[0.0, 0.0], [4.0, 0.0], [4.0, 6.0], [0.0, 6.0], [2.0, 2.4]]
    doc = {
        "points": [{"image": i, "floor": f} for i, f in zip(image, floor, strict=True)],
        "image_size": [1920, 1080],
        "max_error_m": 1.0,
        "floor_frame": "  station/concourse ",
    }
    cal = calibration_from_json(doc, "cam.json")
    assert cal.floor_frame == "station/concourse"
    again = calibration_from_json(json.loads(json.dumps(calibration_to_json(cal))), "stored")
    assert again.floor_frame == "station/concourse"
    assert rescale_calibration(cal, (960, 540)).floor_frame == "station/concourse"
    assert calibration_from_json({**doc, "floor_frame": None}, "cam.json").floor_frame is None
    assert "floor_frame" not in calibration_to_json(
        calibration_from_json({k: v for k, v in doc.items() if k != "floor_frame"}, "x")
    )
    for bad in ("", "   ", 7, ["a"], "x" * 201):
        with pytest.raises(InputError, match=r"cam\.json: \"floor_frame\" must be"):
            calibration_from_json({**doc, "floor_frame": bad}, "cam.json")
    two = tmp_path / "two.csv"
    two.write_text("# floor_frame: a\n# floor_frame: b\nu,v,x_m,y_m\n1,1,0,0\n")
    with pytest.raises(InputError, match="at most one"):
        load_calibration(two)


def test_module_docstring_examples_load(tmp_path: Path) -> None:
    import cctrace.geometry.calibration as module

    doc = module.__doc__ or ""
    json_text = doc[doc.index("JSON::") + len("JSON::") : doc.index("``image``")]
    csv_block = doc[doc.index("floor frame)::") + len("floor frame)::") : doc.index("With exactly")]
    (tmp_path / "doc.json").write_text(json_text)
    (tmp_path / "doc.csv").write_text("\n".join(line.strip() for line in csv_block.splitlines()))
    from_json = load_calibration(tmp_path / "doc.json")
    from_csv = load_calibration(tmp_path / "doc.csv")
    assert from_json.image_size_px == (1920, 1080)
    assert from_json.floor_frame == from_csv.floor_frame == "central-station/concourse"
    np.testing.assert_allclose(from_json.homography, from_csv.homography, rtol=1e-9)
