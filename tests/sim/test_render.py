"""The synthetic town: the real detectors see its people, the patient's face matches the
astronaut, calibrations are exact, and everything is a function of the seed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch, clip_boxes
from cctrace.geometry.calibration import fit_calibration, foot_point_xy, image_to_floor
from cctrace.sim.render import (
    CameraRenderer,
    DemoScenario,
    Recording,
    calibration_points,
    make_demo_scenario,
    render_video,
    scenario_truth,
)
from cctrace.video.frames import iter_frames, probe
from cctrace.vision.faces import (
    SFACE_COSINE_THRESHOLD,
    SFaceEmbedder,
    YuNetFaceDetector,
    cosine_similarity,
)
from cctrace.vision.persons import NanoDetPersonDetector

# Moments with several people in view in each camera, walking and standing.
FRAMES_S = {"cam-a": (6.0, 12.0, 36.0), "cam-b": (80.0, 104.0, 146.0), "cam-c": (185.0, 205.0)}


@pytest.fixture(scope="module")
def scenario() -> DemoScenario:
    return make_demo_scenario(seed=7)


@pytest.fixture(scope="module")
def renderers(scenario: DemoScenario) -> dict[str, CameraRenderer]:
    return {cam.camera_id: CameraRenderer(scenario, cam.camera_id) for cam in scenario.cameras}


def test_nanodet_finds_the_rendered_people(renderers: dict[str, CameraRenderer]) -> None:
    detector = NanoDetPersonDetector()
    expected = found = 0
    for camera_id, times in FRAMES_S.items():
        renderer = renderers[camera_id]
        w, h = renderer.camera.image_size_px
        for t in times:
            frame = renderer.render(t, round(t * 8), with_truth=True)
            people = [f for f in frame.figures if f.visible_fraction >= 0.9 and f.height_px >= 80]
            dets = detector.detect(frame.image_bgr)
            expected += len(people)
            if people and len(dets):
                truth = clip_boxes(np.array([f.box_xyxy for f in people]), w, h)
                found += int((box_iou_batch(truth, dets.box_xyxy).max(axis=1) >= 0.5).sum())
    assert expected >= 15
    assert found / expected >= 0.9, f"recall {found}/{expected}"


@pytest.mark.parametrize("t_s", [14.0, 15.5])
def test_patient_face_is_found_and_matches_the_astronaut(
    renderers: dict[str, CameraRenderer], astronaut_bgr: NDArray[np.uint8], t_s: float
) -> None:
    # At camera A the patient stands facing the camera about 3.6 m away.
    frame = renderers["cam-a"].render(t_s, round(t_s * 8), with_truth=True)
    patient = next(f for f in frame.figures if f.role == "patient")
    assert patient.face_box_xyxy is not None and patient.face_width_px >= 28
    detector, embedder = YuNetFaceDetector(), SFaceEmbedder()
    faces = detector.detect(frame.image_bgr)
    assert len(faces) >= 1
    iou = box_iou_batch(patient.face_box_xyxy[None], faces.box_xyxy)[0]
    best = int(iou.argmax())
    assert iou[best] >= 0.5
    reference = embedder.embed(astronaut_bgr, detector.detect(astronaut_bgr))
    probe_embedding = embedder.embed(frame.image_bgr, faces[np.array([best])])
    assert cosine_similarity(probe_embedding, reference)[0, 0] >= SFACE_COSINE_THRESHOLD


def test_masked_patient_shows_a_mask(renderers: dict[str, CameraRenderer]) -> None:
    frame = renderers["cam-c"].render(216.0, 0, with_truth=True)
    patient = next(f for f in frame.figures if f.role == "patient")
    assert patient.masked


def test_calibration_points_fit_and_place_feet(
    scenario: DemoScenario, renderers: dict[str, CameraRenderer]
) -> None:
    for camera_id, times in FRAMES_S.items():
        renderer = renderers[camera_id]
        points = calibration_points(renderer.camera)
        calibration = fit_calibration(
            points.image_xy_px, points.floor_xy_m, image_size_px=points.image_size_px
        )
        assert len(calibration) >= 6
        assert calibration.reprojection_error_m < 0.02
        # A standing person's foot point lands where the script put them.
        for t in times:
            frame = renderer.render(t, 0, with_truth=True)
            for fig in frame.figures:
                if fig.visible_fraction < 0.9 or fig.box_xyxy[3] > 430:
                    continue
                person = next(p for p in scenario.people if p.person_id == fig.person_id)
                pose = person.pose_at(t)
                assert pose is not None
                floor = image_to_floor(calibration, foot_point_xy(fig.box_xyxy))[0]
                assert np.hypot(*(floor - pose.xy_m)) < 0.5, (camera_id, t, fig.person_id)


def test_rendering_is_a_function_of_the_seed(renderers: dict[str, CameraRenderer]) -> None:
    again = CameraRenderer(make_demo_scenario(seed=7), "cam-b")
    a = renderers["cam-b"].render(104.0, 832)
    b = again.render(104.0, 832)
    assert np.array_equal(a.image_bgr, b.image_bgr)
    other = CameraRenderer(make_demo_scenario(seed=8), "cam-b").render(104.0, 832)
    assert not np.array_equal(a.image_bgr, other.image_bgr)


def test_truth_tells_the_scripted_story(scenario: DemoScenario) -> None:
    truth = scenario_truth(scenario)
    assert [s.camera_id for s in truth.route] == ["cam-a", "cam-b", "cam-c"]
    assert [s.masked for s in truth.route] == [False, False, True]
    friend = next(c for c in truth.contacts if c.person_id == "friend")
    assert 0.9 <= friend.min_distance_m <= 1.1
    assert friend.exposure_s(within_m=2.0) >= 40.0
    passer = next(c for c in truth.contacts if c.person_id == "b-passer")
    assert 3.0 <= passer.min_distance_m <= 5.0
    assert passer.exposure_s(within_m=2.0) == 0.0
    window = next(c for c in truth.contacts if c.person_id == "c-window")
    assert window.patient_masked and window.contact_masked


def test_video_has_real_times_and_a_start(scenario: DemoScenario, tmp_path: Path) -> None:
    short = dataclasses.replace(scenario, recordings=(Recording("cam-a", 10.0, 11.5),))
    video = render_video(short, "cam-a", tmp_path / "a.mp4")
    info = probe(video.path)
    assert (info.width, info.height) == (768, 432)
    assert video.frame_count == 12
    assert info.creation_time == video.start_utc == scenario.start_utc + timedelta(seconds=10)
    times = [f.t_s for f in iter_frames(video.path)]
    assert len(times) == 12
    assert np.allclose(np.diff(times), 1 / scenario.fps, atol=2e-3)
