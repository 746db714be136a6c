"""Redaction on synthetic frames: boxes per frame, temporal dilation, pixelation, fail closed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.privacy.redact import (
    FramePlan,
    TrackBoxes,
    blur_regions,
    dilate_in_time,
    head_regions,
    pixelate,
    pixelate_all,
    plan_at,
    redact_frames,
    stranger_faces,
    track_box_at,
)
from cctrace.vision.faces import YuNetFaceDetector


def _boxes(*rows: tuple[float, float, float, float]) -> FloatArray:
    return np.array(rows, np.float32).reshape(-1, 4)


def _track(t: list[float], boxes: FloatArray | None, keep: bool = False) -> TrackBoxes:
    return TrackBoxes(np.array(t, np.float64), boxes, t[0], t[-1], keep)


def _detail(image: ImageBGR, box: NDArray[np.int64]) -> float:
    """Mean absolute Laplacian inside a box: fine detail, gone after pixelation."""
    x1, y1, x2, y2 = box
    grey = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[1:-1, 1:-1].mean())


def test_head_region_covers_the_top_of_the_person_with_padding() -> None:
    [head] = head_regions(_boxes((100, 50, 140, 210)))
    assert head[0] < 100 and head[2] > 140  # wider than the body
    assert head[1] < 50 < 90 < head[3]  # above the box top, down past the face
    assert head[3] < 130  # not the legs


def test_track_box_covers_both_stored_boxes_between_samples_and_holds_at_the_ends() -> None:
    track = _track([0.0, 1.0], _boxes((0, 0, 10, 20), (30, 0, 40, 20)))
    assert track_box_at(track, 0.5) is not None
    assert track_box_at(track, 0.5).tolist() == [0, 0, 40, 20]  # type: ignore[union-attr]
    assert track_box_at(track, 1.0).tolist() == [30, 0, 40, 20]  # type: ignore[union-attr]
    assert track_box_at(track, -0.3).tolist() == [0, 0, 10, 20]  # type: ignore[union-attr]
    assert track_box_at(track, 1.3).tolist() == [30, 0, 40, 20]  # type: ignore[union-attr]
    assert track_box_at(track, 5.0) is None
    assert track_box_at(_track([0.0, 1.0], None), 0.5) is None


def test_plan_keeps_the_patient_and_treats_duplicate_tracks_as_the_same_body() -> None:
    patient = _track([0.0, 2.0], _boxes((100, 50, 140, 210), (100, 50, 140, 210)), keep=True)
    duplicate = _track([0.0, 2.0], _boxes((101, 52, 141, 212), (101, 52, 141, 212)))
    other = _track([0.0, 2.0], _boxes((300, 50, 340, 210), (300, 50, 340, 210)))
    plan = plan_at([patient, duplicate, other], 1.0)
    assert len(plan.keep_heads) == 1 and len(plan.other_heads) == 1
    assert plan.other_heads[0][0] > 250 and not plan.unlocated


def test_someone_present_without_stored_boxes_fails_closed() -> None:
    ghost = TrackBoxes(np.zeros(0), None, 0.0, 2.0)
    assert plan_at([ghost], 1.0).unlocated
    assert not plan_at([ghost], 5.0).unlocated
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    [frame] = redact_frames([1.0], [image], [np.zeros((0, 4), np.float32)], [ghost], 0.5)
    whole = np.array([0, 0, 640, 480])
    assert frame.unlocated
    assert _detail(frame.image_bgr, whole) < 0.2 * _detail(image, whole)


def test_faces_in_the_patients_head_stay_clear_others_are_strangers() -> None:
    patient = _track([0.0, 2.0], _boxes((100, 50, 140, 210), (100, 50, 140, 210)), keep=True)
    plan = plan_at([patient], 1.0)
    faces = _boxes((110, 55, 130, 80), (300, 60, 320, 85))
    assert stranger_faces(faces, plan).tolist() == [[300, 60, 320, 85]]
    # The patient's box unknown at this frame: every face is a stranger's.
    assert len(stranger_faces(faces, plan_at([patient], 9.0))) == 2


def test_dilation_covers_frames_around_a_detection() -> None:
    times = [0.0, 0.125, 0.25, 0.375, 0.5, 1.5]
    seen: list[FloatArray] = [np.zeros((0, 4), np.float32)] * 6
    seen[1] = _boxes((10, 10, 20, 20))
    dilated = dilate_in_time(times, seen, 0.3)
    assert [len(d) for d in dilated] == [1, 1, 1, 1, 0, 0]


def test_blur_regions_count_a_tracked_head_and_its_detected_face_once() -> None:
    plan = FramePlan(np.zeros((0, 4), np.float32), head_regions(_boxes((100, 50, 140, 210))), False)
    regions, count = blur_regions(plan, _boxes((110, 55, 130, 80), (300, 60, 320, 85)))
    assert len(regions) == 3 and count == 2


@pytest.fixture(scope="module")
def face_frame(astronaut_bgr: ImageBGR) -> tuple[ImageBGR, NDArray[np.int64]]:
    """A grey 320x240 frame with the astronaut's face (about 60 px) at a known box."""
    frame = np.full((240, 320, 3), 120, np.uint8)
    face = cv2.resize(astronaut_bgr[20:260, 140:330], (95, 120))
    frame[60:180, 150:245] = face
    return frame, np.array([150, 60, 245, 180])


def test_pixelation_hides_the_face_from_the_detector_and_leaves_the_rest(
    face_frame: tuple[ImageBGR, NDArray[np.int64]],
) -> None:
    frame, box = face_frame
    detector = YuNetFaceDetector(score_threshold=0.3)
    assert len(detector.detect(frame)) == 1
    out = pixelate(frame, box[None].astype(np.float32))
    assert len(detector.detect(out)) == 0
    assert _detail(out, box) < 0.2 * _detail(frame, box)
    assert np.array_equal(out[:, :150], frame[:, :150])  # outside the region: untouched
    assert len(detector.detect(pixelate_all(frame))) == 0


def test_a_tracked_face_never_flickers_into_view_when_the_detector_misses_it(
    face_frame: tuple[ImageBGR, NDArray[np.int64]],
) -> None:
    frame, box = face_frame
    times = [i / 8 for i in range(24)]
    # The detector sees the face only in the first and last frames: 2.5 s missed.
    faces: list[FloatArray] = [np.zeros((0, 4), np.float32)] * 24
    faces[0] = faces[-1] = box[None].astype(np.float32)
    person = _boxes((140, 40, 255, 520))  # the person whose head the face is
    track = TrackBoxes(np.array([0.0, 3.0]), np.repeat(person, 2, axis=0), 0.0, 3.0)
    images = [frame] * 24
    before = _detail(frame, box)
    tracked = redact_frames(times, images, faces, [track], 0.5)
    assert all(_detail(r.image_bgr, box) < 0.2 * before for r in tracked)
    # Without the track, dilation alone covers only 0.5 s around each detection: the
    # face shows in the middle frames. This is the flicker the tracks prevent.
    untracked = redact_frames(times, images, faces, [], 0.5)
    shown = [r.t_s for r in untracked if _detail(r.image_bgr, box) > 0.8 * before]
    assert shown and min(shown) > 0.5 and max(shown) < times[-1] - 0.5


def test_the_patients_own_face_stays_clear_only_while_the_patient_is_located(
    face_frame: tuple[ImageBGR, NDArray[np.int64]],
) -> None:
    frame, box = face_frame
    patient = TrackBoxes(
        np.array([0.0, 1.0]), np.repeat(_boxes((140, 40, 255, 520)), 2, axis=0), 0.0, 1.0, True
    )
    faces = [box[None].astype(np.float32)] * 2
    kept, lost = redact_frames([0.5, 3.0], [frame, frame], faces, [patient], 0.2)
    assert np.array_equal(kept.image_bgr, frame) and kept.blurred_faces == 0
    assert _detail(lost.image_bgr, box) < 0.2 * _detail(frame, box) and lost.blurred_faces == 1
