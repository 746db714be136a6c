"""Contacts at an uncalibrated camera: positions re-placed by foot row before distances
(`cctrace.trace.contacts.on_foot_rows`), on paths that the real height model produced
from boxes of a synthetic pinhole camera."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.config import get_policy
from cctrace.core.types import Sighting
from cctrace.geometry.height import floor_positions
from cctrace.store.records import CameraRecord
from cctrace.trace.contacts import StayPresence, find_contacts, on_foot_rows
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Stay
from tests.geometry.camera_model import PinholeCamera

F64 = NDArray[np.float64]
T = 1_709_629_200.0
CAMERA = PinholeCamera(width_px=768, height_px=432, hfov_deg=70.0, height_m=3.2, tilt_deg=15.0)
VIDEO = "v" * 64
SIZES = {VIDEO: CAMERA.image_size_px}


def _seen(
    sid: str, t: NDArray[np.floating], floor_xy_m: NDArray[np.floating], height_m: float
) -> Sighting:
    """A track as ingestion stores it at an uncalibrated camera: boxes of a person of
    ``height_m`` at the floor points, placed by `floor_positions` without calibration."""
    t_s = np.asarray(t, np.float64)
    boxes = CAMERA.person_box_xyxy(floor_xy_m, person_height_m=height_m)
    floor = floor_positions(boxes, CAMERA.image_size_px, None)
    assert floor.approximate and not floor.truncated.any()
    return Sighting(
        sighting_id=sid,
        camera_id="cam",
        video_id=VIDEO,
        track_id=0,
        t_start_s=float(t_s[0]),
        t_end_s=float(t_s[-1]),
        path_t_s=t_s,
        path_floor_xy_m=floor.floor_xy_m.astype(np.float32),
        path_approximate=True,
        face_count=0,
        face_quality=0.0,
        face_embedding=None,
        appearance=None,
        mask_ratio=None,
        thumbnail_jpeg=None,
        path_box_xyxy=boxes.astype(np.float32),
    )


def _scene(contact_height_m: float) -> StayPresence:
    """The patient (1.68 m) and a contact stand 1.3 m apart side by side, 11 m from the
    camera, for two minutes, while four people walk towards the camera beside them."""
    t = T + np.arange(0.0, 120.0, 0.25)
    still = np.ones((len(t), 1))
    patient = _seen("patient", t, still * [0.0, 11.0], 1.68)
    contact = _seen("contact", t, still * [1.3, 11.0], contact_height_m)
    walkers = []
    for i, (x, h) in enumerate([(-3.0, 1.75), (3.5, 1.66), (-2.0, 1.80), (2.5, 1.70)]):
        tw = T + 25.0 * i + np.arange(0.0, 9.0, 0.25)
        walk = np.column_stack([np.full(len(tw), x), np.linspace(16.0, 5.0, len(tw))])
        walkers.append(_seen(f"walker-{i}", tw, walk, h))
    stay = Stay("cam", "S", float(t[0]), float(t[-1]), 1.0, float("nan"), "face", ("patient",))
    return StayPresence(stay, (patient,), (contact, *walkers))


@pytest.mark.parametrize("contact_height_m", [1.55, 1.70, 1.90])
def test_a_contact_beside_the_patient_is_measured_beside_them(contact_height_m: float) -> None:
    cameras = CameraMap([CameraRecord("cam", "C", site="S", x_m=0.0, y_m=0.0)])
    policy = get_policy("cdc-2020")  # within 1.83 m: the 1.87 m fell just outside
    scene = _scene(contact_height_m)
    found = {}
    for foot_rows in (False, True):
        contacts = find_contacts(
            [scene], policy, TraceSettings(foot_rows=foot_rows), cameras, SIZES
        )
        found[foot_rows] = next((c for c in contacts if c.sighting_ids == ("contact",)), None)
    new = found[True]
    assert new is not None and new.distance_approximate
    # The level model's foreshortening at 15° of tilt and 11 m is a few per cent.
    assert new.min_distance_m == pytest.approx(1.3, rel=0.1)
    assert new.exposure_s == pytest.approx(120.0, abs=1.0)
    if contact_height_m != 1.70:
        # By box height alone, a stature 10 % off the patient's moves the contact a
        # metre along the camera's axis.
        old = found[False]
        assert old is None or old.min_distance_m > 1.6


def test_foot_rows_leave_calibrated_paths_and_boxless_tracks_alone() -> None:
    scene = _scene(1.9)
    calibrated = StayPresence(
        scene.stay,
        tuple(_calibrated(s) for s in scene.patient),
        tuple(_calibrated(s) for s in scene.others),
    )
    assert on_foot_rows(calibrated, SIZES) is calibrated
    boxless = StayPresence(
        scene.stay,
        scene.patient,
        tuple(_without_boxes(s) for s in scene.others),
    )
    # Only the patient's boxes are left, all on one row: no line, nothing moves.
    assert on_foot_rows(boxless, SIZES) is boxless


def _calibrated(s: Sighting) -> Sighting:
    return dataclasses.replace(s, path_approximate=False)


def _without_boxes(s: Sighting) -> Sighting:
    return dataclasses.replace(s, path_box_xyxy=None)
