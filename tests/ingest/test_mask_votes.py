"""Mask state of tracks whose faces are too small for the classifier (issue 15 part 6): in
a rendered contact scene whose contact shows faces 13 px wide, the frame loop reports the
masked contact masked and the bare patient not masked, where it reported both unknown
before faces under 20 px voted by colour."""

from __future__ import annotations

from pathlib import Path

import pytest

from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.contact_scene import ContactCondition, make_contact_scenario
from cctrace.sim.render import CameraRenderer, render_video
from cctrace.video.frames import probe
from tests.ingest.rendered import who_is


@pytest.mark.parametrize("masked", [True, False])
def test_small_faces_tell_a_masked_contact_from_a_bare_one(masked: bool, tmp_path: Path) -> None:
    # Seed 1: the contact is 11-12 m from the camera, her face 13 px wide.
    scenario = make_contact_scenario(1, ContactCondition(masked=masked))
    camera = scenario.cameras[0].camera_id
    video = render_video(scenario, camera, tmp_path / "scene.mp4")
    prepared = PreparedVideo(
        video.path, probe(video.path), "c" * 64, camera, video.start_utc, None, None
    )
    renderer = CameraRenderer(scenario, camera)
    t0 = scenario.start_utc.timestamp()
    models = VisionModels.load()

    def mask_of(options: IngestOptions) -> dict[str, list[float | None]]:
        out: dict[str, list[float | None]] = {}
        for s in span_sightings(models, prepared, options, video.start_utc, None):
            who = who_is(renderer, s, t0)
            if who is not None:
                out.setdefault(who, []).append(s.mask_ratio)
        return out

    before = mask_of(IngestOptions(mask_small_faces=False))
    now = mask_of(IngestOptions())
    contact, patient = "contact", scenario.patient.person_id
    assert all(r is None for r in before[contact])
    ratios = [r for r in now[contact] if r is not None]
    assert ratios, "the contact's small faces cast no vote"
    assert all((r >= 0.5) == masked for r in ratios)
    assert all(r is None or r < 0.5 for r in now[patient])
