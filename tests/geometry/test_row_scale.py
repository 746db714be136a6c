"""Foot rows at uncalibrated cameras: the line of box height against foot row, and
positions re-placed on it (`cctrace.geometry.row_scale`)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.geometry import FACE_WIDTH_PER_BOX_HEIGHT
from cctrace.geometry.height import height_model_floor_xy
from cctrace.geometry.row_scale import (
    RowScale,
    face_body_height,
    fit_row_scale,
    rescale_to_foot_row,
)
from tests.geometry.camera_model import PinholeCamera

F64 = NDArray[np.float64]

CAMERAS = [
    PinholeCamera(width_px=768, height_px=432, hfov_deg=70.0, height_m=3.2, tilt_deg=15.0),
    PinholeCamera(width_px=1920, height_px=1080, hfov_deg=70.0, height_m=4.0, tilt_deg=30.0),
]


def _walkers(camera: PinholeCamera, seed: int = 0, near_m: float = 5.0) -> list[F64]:
    """Boxes of six passers-by of ordinary statures walking from ``near_m`` to 16 m away,
    with a pixel and a half of detector jitter."""
    rng = np.random.default_rng(seed)
    tracks = []
    for _ in range(6):
        y = np.linspace(near_m, 16.0, 30)
        xy = np.column_stack([np.full_like(y, rng.uniform(-2, 2)), y])
        height_m = float(rng.normal(1.72, 0.07))
        boxes = camera.person_box_xyxy(xy, person_height_m=height_m)
        tracks.append(boxes + rng.normal(0.0, 1.5, boxes.shape))
    return tracks


def _depth_m(camera: PinholeCamera, boxes: F64, scale: RowScale | None) -> F64:
    old = height_model_floor_xy(boxes, camera.image_size_px)  # what ingestion stores
    if scale is None:
        return old[:, 1]
    return rescale_to_foot_row(old, boxes, scale, camera.height_px)[:, 1]


@pytest.mark.parametrize("camera", CAMERAS, ids=["3.2m-15deg", "4m-30deg"])
def test_people_side_by_side_share_a_depth_whatever_their_stature(camera: PinholeCamera) -> None:
    # The failure: a 1.60 m and a 1.88 m person 1.3 m apart, 11 m away, are put
    # about 1.8 m apart in depth by their box heights alone.
    pair = np.vstack(
        [
            camera.person_box_xyxy([[0.0, 11.0]], person_height_m=1.60),
            camera.person_box_xyxy([[1.3, 11.0]], person_height_m=1.88),
        ]
    )
    standing = [np.repeat(pair[:1], 100, axis=0), np.repeat(pair[1:], 100, axis=0)]
    scale = fit_row_scale([*_walkers(camera), *standing], camera.height_px)
    assert scale is not None and scale.slope > 0
    old = _depth_m(camera, pair, None)
    new = _depth_m(camera, pair, scale)
    assert abs(old[0] - old[1]) > 1.5
    assert abs(new[0] - new[1]) < 0.1


@pytest.mark.parametrize("camera", CAMERAS, ids=["3.2m-15deg", "4m-30deg"])
def test_odd_statures_and_cut_boxes_do_not_bend_the_line(camera: PinholeCamera) -> None:
    cut = _walkers(camera, seed=1, near_m=2.0)  # their first boxes lose the feet
    clean = fit_row_scale([*_walkers(camera), *cut], camera.height_px)
    child = camera.person_box_xyxy(
        np.column_stack([np.full(40, 1.0), np.linspace(5, 12, 40)]), person_height_m=1.1
    )
    noisy = fit_row_scale([*_walkers(camera), *cut, child], camera.height_px)
    unaware = fit_row_scale([*_walkers(camera), *cut, child])  # no frame height: cut boxes in
    assert clean is not None and noisy is not None
    rows = np.linspace(camera.height_px * 0.45, camera.height_px * 0.95, 5)
    ratio = noisy.expected_height_px(rows) / clean.expected_height_px(rows)
    assert np.abs(ratio - 1).max() < 0.02
    assert unaware is not None
    bent = unaware.expected_height_px(rows) / clean.expected_height_px(rows)
    assert np.abs(bent - 1).max() > np.abs(ratio - 1).max()


@pytest.mark.parametrize("camera", CAMERAS, ids=["3.2m-15deg", "4m-30deg"])
def test_a_person_whose_feet_the_frame_cuts_is_placed_by_their_head(
    camera: PinholeCamera,
) -> None:
    scale = fit_row_scale(_walkers(camera), camera.height_px)
    assert scale is not None
    whole = camera.person_box_xyxy([[0.0, 2.5]], person_height_m=1.7)
    assert whole[0, 3] > camera.height_px  # the feet are below the frame
    cut = whole.copy()
    cut[0, 3] = camera.height_px  # as a detector clips it
    old = _depth_m(camera, cut, None)[0]
    new = _depth_m(camera, cut, scale)[0]
    uncut = _depth_m(camera, whole, None)[0]
    # The cut box alone puts them 3-6 times too far; the head row puts them no farther
    # off than the level model puts them whole (which still carries the tilt's
    # foreshortening, tests/geometry/test_height.py).
    assert old > 2.5 * 3
    assert abs(new - 2.5) < abs(uncut - 2.5) + 0.15 * 2.5


def test_rows_that_do_not_spread_give_no_line() -> None:
    camera = CAMERAS[0]
    one_place = camera.person_box_xyxy(np.tile([[0.0, 8.0]], (50, 1)))
    assert fit_row_scale([one_place, one_place + 0.5]) is None
    assert fit_row_scale([one_place[:3]]) is None  # too few boxes
    assert fit_row_scale([]) is None


def test_rescale_needs_one_box_per_position() -> None:
    with pytest.raises(ValueError, match="rows"):
        rescale_to_foot_row(np.zeros((2, 2)), np.zeros((3, 4)), RowScale(0.5, 0.0, 10))


@pytest.mark.parametrize("camera", CAMERAS, ids=["3.2m-15deg", "4m-30deg"])
def test_a_person_behind_a_counter_is_placed_by_their_head(camera: PinholeCamera) -> None:
    scale = fit_row_scale(_walkers(camera), camera.height_px)
    assert scale is not None
    whole = camera.person_box_xyxy([[0.5, 8.0]], person_height_m=1.7)
    hidden = whole.copy()
    # A 1 m counter 1 m in front hides the lower 0.6-0.7 m of the legs: the box ends
    # at the counter's top edge.
    hidden[0, 3] = camera.project([[0.5, 7.0, 1.0]])[0, 1]
    old = _depth_m(camera, hidden, None)[0]
    new = _depth_m(camera, hidden, scale)[0]
    uncut = _depth_m(camera, whole, scale)[0]
    assert old > 8.0 * 1.4
    assert new == pytest.approx(uncut, rel=0.1)


def _face_px(camera: PinholeCamera, floor_xy_m: list[list[float]]) -> F64:
    """Face widths of an average adult's head at those floor points: the face box is
    `FACE_WIDTH_PER_BOX_HEIGHT` of a 1.7 m person's box, whatever the person's own
    stature (head breadth hardly follows it)."""
    box = camera.person_box_xyxy(floor_xy_m, person_height_m=1.7)
    return np.asarray(FACE_WIDTH_PER_BOX_HEIGHT * (box[:, 3] - box[:, 1]), np.float64)


@pytest.mark.parametrize("stature_m", [1.55, 1.88])
def test_a_person_behind_a_block_is_placed_by_their_face(stature_m: float) -> None:
    # A counter 1.1 m high, 0.5 m in front: its top edge, far up the image, can leave
    # a box that still looks whole at that row, and the top row alone carries the
    # person's stature. Their face gives the body's length instead. (At the 4 m, 30°
    # camera the counter's edge is a row that puts them less than 25 % too far, which
    # the face test lets pass: HIDDEN_FACE_RATIO.)
    camera = CAMERAS[0]
    scale = fit_row_scale(_walkers(camera), camera.height_px)
    assert scale is not None
    spot = [[0.5, 7.0]]
    hidden = np.repeat(camera.person_box_xyxy(spot, person_height_m=stature_m), 12, axis=0)
    hidden[:, 3] = camera.project([[0.5, 6.5, 1.1]])[0, 1]
    body = face_body_height(np.arange(12) * 0.25, np.repeat(_face_px(camera, spot), 12))
    truth = _depth_m(camera, np.repeat(camera.person_box_xyxy(spot), 12, axis=0), scale)
    old = height_model_floor_xy(hidden, camera.image_size_px)
    by_row = rescale_to_foot_row(old, hidden, scale, camera.height_px)[:, 1]
    by_face = rescale_to_foot_row(old, hidden, scale, camera.height_px, body)[:, 1]
    assert np.all(np.abs(by_face - truth) < np.abs(by_row - truth))
    assert np.all(np.abs(by_face - truth) < 0.1 * truth)


def test_a_box_the_frame_cuts_is_placed_by_its_face_where_one_is_known() -> None:
    # Whether or not the face passes the ratio: a person beside them whose box ends a
    # few pixels above the edge (not cut, by the margin) is placed by face.
    camera = CAMERAS[0]
    scale = fit_row_scale(_walkers(camera), camera.height_px)
    assert scale is not None
    spot = [[0.0, 2.6]]
    whole = camera.person_box_xyxy(spot, person_height_m=1.88)
    cut = np.repeat(whole, 12, axis=0)
    assert cut[0, 3] > camera.height_px
    cut[:, 3] = camera.height_px
    body = np.full(12, whole[0, 3] - whole[0, 1])  # a face in proportion to the body
    old = height_model_floor_xy(cut, camera.image_size_px)
    by_row = rescale_to_foot_row(old, cut, scale, camera.height_px)[:, 1]
    by_face = rescale_to_foot_row(old, cut, scale, camera.height_px, body)[:, 1]
    truth = _depth_m(camera, np.repeat(camera.person_box_xyxy(spot), 12, axis=0), scale)
    assert np.all(np.abs(by_face - truth) < np.abs(by_row - truth))


@pytest.mark.parametrize("camera", CAMERAS, ids=["3.2m-15deg", "4m-30deg"])
def test_faces_of_people_with_feet_in_view_change_nothing(camera: PinholeCamera) -> None:
    scale = fit_row_scale(_walkers(camera), camera.height_px)
    assert scale is not None
    t = np.arange(12) * 0.25
    for spot, stature_m in (([[0.0, 8.0]], 1.7), ([[1.0, 6.0]], 1.55), ([[-1.0, 10.0]], 1.95)):
        boxes = np.repeat(camera.person_box_xyxy(spot, person_height_m=stature_m), 12, axis=0)
        faces = np.repeat(_face_px(camera, spot), 12)
        faces[5] *= 3  # one face drawn far too wide
        old = height_model_floor_xy(boxes, camera.image_size_px)
        plain = rescale_to_foot_row(old, boxes, scale, camera.height_px)
        seen = rescale_to_foot_row(old, boxes, scale, camera.height_px, face_body_height(t, faces))
        np.testing.assert_array_equal(seen, plain)


def test_too_few_faces_say_nothing() -> None:
    t = np.arange(12) * 0.25
    faces = np.full(12, 20.0)
    assert np.isfinite(face_body_height(t, faces)).all()
    np.testing.assert_allclose(face_body_height(t, faces), 20.0 / FACE_WIDTH_PER_BOX_HEIGHT)
    sparse = np.full(12, np.nan)
    sparse[[0, 11]] = faces[[0, 11]]  # 2.75 s apart: never more than one in a window
    assert np.isnan(face_body_height(t, sparse)).all()
    with pytest.raises(ValueError, match="face widths"):
        face_body_height(t, faces[:5])
