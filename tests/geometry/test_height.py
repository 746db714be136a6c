"""Floor positions: the height model for uncalibrated cameras and the calibrated path."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.geometry.calibration import fit_calibration
from cctrace.geometry.height import (
    FloorEstimate,
    floor_positions,
    focal_length_px,
    height_model_floor_xy,
    touches_edge,
)
from tests.geometry.camera_model import PinholeCamera

F64 = NDArray[np.float64]

LEVEL = PinholeCamera(height_m=1.0, tilt_deg=0.0, hfov_deg=70.0)
TILTED = [
    PinholeCamera(height_m=3.0, tilt_deg=20.0, hfov_deg=90.0),
    PinholeCamera(height_m=4.0, tilt_deg=30.0, hfov_deg=100.0),
]


def _visible_box(camera: PinholeCamera, floor_xy_m: list[float], height_m: float = 1.7) -> F64:
    box = camera.person_box_xyxy([floor_xy_m], person_height_m=height_m)
    assert box[0, 1] > 2 and box[0, 3] < camera.height_px - 2, "test person not fully visible"
    assert box[0, 0] > 0 and box[0, 2] < camera.width_px
    return box


def _relative_error(estimate_m: F64, truth_m: list[float]) -> float:
    truth = np.asarray(truth_m, dtype=np.float64)
    return float(np.linalg.norm(estimate_m - truth) / np.linalg.norm(truth))


@pytest.mark.parametrize("distance_m", [3.0, 6.0, 10.0])
@pytest.mark.parametrize("lateral_m", [-1.5, 0.0, 1.5])
def test_level_camera_places_a_1_7_m_person_within_5_percent(
    distance_m: float, lateral_m: float
) -> None:
    box = _visible_box(LEVEL, [lateral_m, distance_m])
    got = height_model_floor_xy(box, LEVEL.image_size_px)
    assert got.shape == (1, 2)
    assert _relative_error(got[0], [lateral_m, distance_m]) < 0.05


@pytest.mark.parametrize("camera", TILTED, ids=["3m-20deg", "4m-30deg"])
@pytest.mark.parametrize("distance_m", [3.0, 6.0, 10.0])
@pytest.mark.parametrize("lateral_m", [0.0, 2.0])
def test_known_tilt_places_a_1_7_m_person_within_5_percent(
    camera: PinholeCamera, distance_m: float, lateral_m: float
) -> None:
    box = _visible_box(camera, [lateral_m, distance_m])
    got = height_model_floor_xy(
        box, camera.image_size_px, hfov_deg=camera.hfov_deg, tilt_deg=camera.tilt_deg
    )
    # Measured: below 1% (the box centre is not exactly halfway between head and feet).
    assert _relative_error(got[0], [lateral_m, distance_m]) < 0.01


@pytest.mark.parametrize(("distance_m", "min_error"), [(3.0, 0.30), (6.0, 0.05), (10.0, 0.02)])
def test_level_model_on_a_tilted_camera_places_people_too_far(
    distance_m: float, min_error: float
) -> None:
    # Documents the bias that makes an unknown tilt the largest error near the camera.
    camera = TILTED[1]
    box = _visible_box(camera, [0.0, distance_m])
    got = height_model_floor_xy(box, camera.image_size_px, hfov_deg=camera.hfov_deg)
    assert got[0, 1] > distance_m * (1 + min_error)


@pytest.mark.parametrize("camera", [LEVEL, TILTED[0]], ids=["level", "tilted"])
@pytest.mark.parametrize("true_height_m", [1.53, 1.6, 1.7, 1.8, 1.87])
@pytest.mark.parametrize("distance_m", [3.0, 6.0, 10.0])
def test_person_height_error_scales_distance(
    camera: PinholeCamera, true_height_m: float, distance_m: float
) -> None:
    # ±10% of height gives +11% / -9% of distance, at every distance.
    box = _visible_box(camera, [0.0, distance_m], height_m=true_height_m)
    got = height_model_floor_xy(
        box, camera.image_size_px, hfov_deg=camera.hfov_deg, tilt_deg=camera.tilt_deg
    )
    assert got[0, 1] / distance_m == pytest.approx(1.7 / true_height_m, rel=1e-3)


@pytest.mark.parametrize(("true_hfov_deg", "ratio"), [(60.0, 0.825), (70.0, 1.0), (90.0, 1.428)])
def test_field_of_view_error_scales_distance(true_hfov_deg: float, ratio: float) -> None:
    camera = PinholeCamera(height_m=1.0, tilt_deg=0.0, hfov_deg=true_hfov_deg)
    box = _visible_box(camera, [0.5, 6.0])
    got = height_model_floor_xy(box, camera.image_size_px)  # assumes 70°
    assert got[0, 1] / 6.0 == pytest.approx(ratio, rel=2e-3)


@pytest.mark.parametrize(
    ("box", "truncated_height_model", "truncated_calibrated"),
    [
        ([900, 300, 1000, 700], False, False),
        ([900, 0, 1000, 700], True, False),  # head cut by the top edge
        ([900, 1.5, 1000, 700], True, False),  # within the 2 px margin
        ([900, 300, 1000, 1080], True, True),  # feet cut by the bottom edge
        ([900, 0, 1000, 1080], True, True),  # too close: cut at both
        ([0, 300, 60, 700], False, False),  # cut at the side keeps its height
        ([1860, 300, 1920, 700], False, False),
    ],
)
def test_truncated_boxes_are_flagged(
    box: list[float], truncated_height_model: bool, truncated_calibrated: bool
) -> None:
    camera = TILTED[1]
    boxes = np.array([box], dtype=np.float64)
    assert touches_edge(boxes, camera.image_size_px).tolist() == [truncated_height_model]
    fallback = floor_positions(boxes, camera.image_size_px, None)
    assert fallback.approximate
    assert fallback.truncated.tolist() == [truncated_height_model]
    floor_m = np.array([[-3.0, 3.0], [3.0, 3.0], [3.0, 10.0], [-3.0, 10.0], [0.0, 6.0]])
    cal = fit_calibration(camera.floor_to_image(floor_m), floor_m)
    calibrated = floor_positions(boxes, camera.image_size_px, cal)
    assert not calibrated.approximate
    assert calibrated.truncated.tolist() == [truncated_calibrated]


@pytest.mark.parametrize("camera", TILTED, ids=["3m-20deg", "4m-30deg"])
def test_calibrated_positions_use_the_foot_point(camera: PinholeCamera) -> None:
    floor_m = np.array([[-3.0, 3.5], [3.0, 3.5], [3.0, 12.0], [-3.0, 12.0], [0.0, 6.0]])
    cal = fit_calibration(
        camera.floor_to_image(floor_m), floor_m, image_size_px=camera.image_size_px
    )
    people_m = np.array([[0.0, 4.0], [0.0, 8.0], [1.0, 5.0], [-2.0, 9.0]])
    boxes = np.vstack([_visible_box(camera, list(p)) for p in people_m])
    got = floor_positions(boxes, camera.image_size_px, cal)
    assert got.floor_xy_m.shape == (4, 2)
    assert not got.truncated.any()
    # On the optical axis the box's bottom centre is the feet: exact to a centimetre.
    assert np.abs(got.floor_xy_m[:2] - people_m[:2]).max() < 0.01
    # Off axis, verticals converge under a tilted camera: the box centre leans towards
    # the head and misses the feet sideways (measured 11 cm at 2 m aside, 9 m away, 30°).
    assert np.abs(got.floor_xy_m - people_m).max() < 0.15


def test_calibrated_positions_follow_a_lower_resolution_stream() -> None:
    camera = TILTED[1]
    floor_m = np.array([[-3.0, 3.0], [3.0, 3.0], [3.0, 10.0], [-3.0, 10.0], [0.0, 6.0]])
    cal = fit_calibration(
        camera.floor_to_image(floor_m), floor_m, image_size_px=camera.image_size_px
    )
    box = _visible_box(camera, [0.0, 6.0]) / 2.0
    got = floor_positions(box, (960, 540), cal)
    np.testing.assert_allclose(got.floor_xy_m, [[0.0, 6.0]], atol=0.01)


@pytest.mark.parametrize(
    "box",
    [[900, 500, 1000, 500], [900, 600, 1000, 500]],
    ids=["zero-height", "inverted"],
)
def test_boxes_without_height_have_no_position(box: list[float]) -> None:
    got = floor_positions(np.array([box]), (1920, 1080), None)
    assert np.isnan(got.floor_xy_m).all()


def test_empty_input_gives_empty_estimate() -> None:
    got = floor_positions(np.zeros((0, 4)), (1920, 1080), None)
    assert got.floor_xy_m.shape == (0, 2)
    assert got.truncated.shape == (0,)
    assert len(got) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hfov_deg": 0.0}, "field of view"),
        ({"hfov_deg": 180.0}, "field of view"),
        ({"person_height_m": 0.0}, "person height"),
        ({"tilt_deg": 90.0}, "camera tilt"),
    ],
)
def test_bad_model_settings_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        floor_positions(np.array([[0, 0, 10, 10]]), (1920, 1080), None, **kwargs)


def test_bad_image_size_is_refused() -> None:
    with pytest.raises(InputError, match="image size"):
        floor_positions(np.array([[0, 0, 10, 10]]), (0, 1080), None)


def test_focal_length_of_a_90_degree_lens_is_half_the_width() -> None:
    assert focal_length_px(1920, 90.0) == pytest.approx(960.0)


def test_floor_estimate_validates_lengths() -> None:
    with pytest.raises(ValueError, match="truncated"):
        FloorEstimate(np.zeros((2, 2)), True, np.zeros(3, dtype=bool))
