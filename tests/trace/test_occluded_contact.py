"""A contact whose legs a low block hides, at an uncalibrated camera (issue 15 part 6):
her face says how tall she is, and so where her feet are. Placed by the block's edge she
was reported beyond 2 m with no exposure; by her face she is within 2 m for about as
long as she truly stood there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cctrace.config import Policy
from cctrace.core.types import Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.contact_scene import ContactCondition, make_contact_scenario
from cctrace.sim.render import CameraRenderer, render_video, scenario_truth
from cctrace.store.records import CameraRecord
from cctrace.trace.contacts import StayPresence, find_contacts
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Stay
from cctrace.video.frames import probe
from tests.ingest.rendered import who_is

WITHIN_M = 2.0


def _exposure_s(
    patient: list[Sighting],
    others: list[Sighting],
    contact: set[str],
    camera: str,
    size: tuple[int, int],
) -> float:
    start = min(s.t_start_s for s in patient)
    end = max(s.t_end_s for s in patient)
    stay = Stay(
        camera, "", start, end, 1.0, float("nan"), "face", tuple(s.sighting_id for s in patient)
    )
    found = find_contacts(
        [StayPresence(stay, tuple(patient), tuple(others))],
        Policy(name="within-2m", distance_m=WITHIN_M, min_exposure_s=15 * 60),
        TraceSettings(),
        CameraMap([CameraRecord(camera_id=camera, name=camera)]),
        {s.video_id: size for s in [*patient, *others]},
    )
    return sum(c.exposure_s for c in found if set(c.sighting_ids) & contact)


@pytest.mark.parametrize("masked", [False, True])
def test_a_contact_behind_a_block_is_placed_by_her_face(masked: bool, tmp_path: Path) -> None:
    # Seed 2: a 1.83 m contact behind a 1 m block; her visible box is 130 px of 222 px,
    # still taller than 0.8 of an adult's box at the block's edge row.
    scenario = make_contact_scenario(2, ContactCondition(masked=masked, occluded=True))
    camera = scenario.cameras[0]
    video = render_video(scenario, camera.camera_id, tmp_path / "scene.mp4")
    prepared = PreparedVideo(
        video.path, probe(video.path), "o" * 64, camera.camera_id, video.start_utc, None, None
    )
    sightings = span_sightings(
        VisionModels.load(), prepared, IngestOptions(), video.start_utc, None
    )
    renderer = CameraRenderer(scenario, camera.camera_id)
    t0 = scenario.start_utc.timestamp()
    who = {s.sighting_id: who_is(renderer, s, t0) for s in sightings}
    patient = [s for s in sightings if who[s.sighting_id] == scenario.patient.person_id]
    others = [s for s in sightings if who[s.sighting_id] != scenario.patient.person_id]
    contact = {s.sighting_id for s in others if who[s.sighting_id] == "contact"}
    assert patient and contact
    assert all(s.path_face_px is not None for s in sightings)
    (truth,) = [c for c in scenario_truth(scenario).contacts if c.person_id == "contact"]
    true_s = truth.exposure_s(WITHIN_M)
    assert true_s > 10

    size = camera.image_size_px
    by_face = _exposure_s(patient, others, contact, camera.camera_id, size)
    blind = [dataclasses.replace(s, path_face_px=None) for s in others]
    by_edge = _exposure_s(patient, blind, contact, camera.camera_id, size)
    assert 0.5 * true_s <= by_face <= 1.5 * true_s
    assert by_edge < 0.5 * true_s  # the failure: placed by the block's edge, too far
