"""The simulated city: deterministic, physically plausible, and its truth agrees with
what its cameras saw."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from cctrace.geometry.calibration import calibration_to_json, image_to_floor
from cctrace.sim.city import simulate
from cctrace.sim.observation import face_photos
from cctrace.sim.site import build_site
from cctrace.sim.world import CHECKPOINT_S, SimConfig, SimWorld

SMALL = SimConfig(cameras=6, people=24, hours=1.0, seed=3, patients=4)


@pytest.fixture(scope="module")
def world() -> SimWorld:
    return simulate(SMALL)


@pytest.fixture(scope="module")
def clean_world() -> SimWorld:
    return simulate(SimConfig(cameras=6, people=24, hours=1.0, seed=3, patients=4, noise=0.0))


def test_same_seed_same_world(world: SimWorld) -> None:
    again = simulate(SMALL)
    assert [s.sighting_id for s in again.sightings] == [s.sighting_id for s in world.sightings]
    for a, b in zip(again.sightings, world.sightings, strict=True):
        assert np.array_equal(a.path_floor_xy_m, b.path_floor_xy_m)
        assert (a.face_embedding is None) == (b.face_embedding is None)
        if a.face_embedding is not None and b.face_embedding is not None:
            assert np.array_equal(a.face_embedding, b.face_embedding)
    assert again.truth.contacts == world.truth.contacts


def test_other_seed_other_world(world: SimWorld) -> None:
    other = simulate(SimConfig(cameras=6, people=24, hours=1.0, seed=4, patients=4))
    assert {s.sighting_id for s in other.sightings}.isdisjoint(
        s.sighting_id for s in world.sightings
    )


def test_walking_speed_respected(clean_world: SimWorld) -> None:
    # Inside a track (noise 0: true positions) nobody moves faster than the fastest walker.
    for s in clean_world.sightings:
        step = np.linalg.norm(np.diff(s.path_floor_xy_m, axis=0), axis=1)
        dt = np.diff(s.path_t_s)
        assert np.all(step <= 1.7 * dt + 1e-3), s.sighting_id
    # Between places, at least the walk between the doors at 1.7 m/s.
    places = clean_world.places
    visits = sorted(clean_world.truth.visits, key=lambda v: (v.person, v.t_arrive_s))
    for a, b in itertools.pairwise(visits):
        if a.person != b.person:
            continue
        (ax, ay), (bx, by) = places[a.place].door_xy_m, places[b.place].door_xy_m
        assert b.t_arrive_s - a.t_leave_s >= math.hypot(ax - bx, ay - by) / 1.7 - 1e-6


def test_sightings_agree_with_truth(clean_world: SimWorld) -> None:
    truth = clean_world.truth
    views = {c.camera_id: c.view_xyxy_m for c in clean_world.cameras}
    by_person: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for p in truth.presences:
        by_person.setdefault((p.person, p.camera_id), []).append((p.t_start_s, p.t_end_s))
    for s in clean_world.sightings:
        person = truth.sighting_person[s.sighting_id]
        spans = by_person[(person, s.camera_id)]
        assert any(a <= s.t_start_s and s.t_end_s <= b for a, b in spans)
        x0, y0, x1, y1 = views[s.camera_id]
        xy = s.path_floor_xy_m
        assert np.all((xy[:, 0] >= x0 - 1e-3) & (xy[:, 0] <= x1 + 1e-3))
        assert np.all((xy[:, 1] >= y0 - 1e-3) & (xy[:, 1] <= y1 + 1e-3))
        # Ingestion never lets a track run across a 5-minute checkpoint.
        k0 = (s.t_start_s - truth.t_from_s) // CHECKPOINT_S
        assert (s.t_end_s - truth.t_from_s) // CHECKPOINT_S == k0


def test_noise_breaks_tracks_and_drops_detections(clean_world: SimWorld, world: SimWorld) -> None:
    assert len(world.sightings) > len(clean_world.sightings)
    seen_clean = sum(len(s.path_t_s) for s in clean_world.sightings)
    seen_noisy = sum(len(s.path_t_s) for s in world.sightings)
    assert 0.8 * seen_clean < seen_noisy < 0.99 * seen_clean


def test_face_spread_matches_sface(world: SimWorld) -> None:
    truth = world.truth
    genuine: list[float] = []
    impostor: list[float] = []
    for patient in truth.patients:
        ref = patient.reference_embeddings[0]
        for s in world.sightings:
            if s.face_embedding is None:
                continue
            same = truth.sighting_person[s.sighting_id] == patient.person
            (genuine if same else impostor).append(float(ref @ s.face_embedding))
    assert 0.62 < np.mean(genuine) < 0.78  # masked faces pull it below SFace's 0.73
    assert 0.08 < np.mean(impostor) < 0.16


def test_face_photos_unit_length() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 128))
    photos = face_photos(rng, centres, 1.0, masked=False)
    assert photos.shape == (5, 128) and photos.dtype == np.float32
    assert np.allclose(np.linalg.norm(photos, axis=1), 1.0, atol=1e-5)


def test_appearance_vectors_look_real(world: SimWorld) -> None:
    a = np.stack([s.appearance for s in world.sightings if s.appearance is not None])
    assert a.shape[1] == 1320 and np.all(a >= 0)
    assert np.allclose(np.linalg.norm(a[:, :1280], axis=1), 1.0, atol=1e-4)
    assert np.allclose(np.linalg.norm(a[:, 1280:], axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("n_cameras", [1, 2, 5, 12])
def test_cameras_calibrated_in_site_metres(n_cameras: int) -> None:
    places, cameras = build_site(n_cameras, seed=0)
    assert len(cameras) == n_cameras
    assert sum(len(p.camera_ids) for p in places) == n_cameras
    for cam in cameras:
        assert cam.calibration.reprojection_error_m < 1e-3
        floor = image_to_floor(cam.calibration, cam.calibration.image_xy_px)
        assert np.allclose(floor, cam.calibration.floor_xy_m, atol=1e-3)
        assert calibration_to_json(cam.calibration)["image_size"] == [1920, 1080]


def test_meetings_are_contacts(world: SimWorld) -> None:
    truth = world.truth
    patients = {p.person for p in truth.patients}
    checked = 0
    for m in truth.meetings:
        if m.a not in patients or (truth.masked[m.a] and truth.masked[m.b]):
            continue
        c = next(
            c
            for c in truth.contacts
            if c.patient == m.a and c.other == m.b and c.policy == "kdca-2022"
        )
        assert c.exposure_s >= (m.t_end_s - m.t_start_s) - 1.0
        assert c.min_distance_m <= m.distance_m + 1e-6
        checked += 1
    assert checked >= 1


def test_patients_chosen_among_people(world: SimWorld) -> None:
    assert len(world.truth.patients) == SMALL.patients
    for p in world.truth.patients:
        assert 0 <= p.person < SMALL.people
        assert p.reference_embeddings.shape == (1, 128)


@pytest.mark.parametrize("bad", [{"cameras": 0}, {"people": 1}, {"noise": -1.0}, {"patients": 0}])
def test_bad_config_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SimConfig(**bad)  # type: ignore[arg-type]
