"""Mask state of tracks whose faces are too small for the classifier (issue 15 part 6): in
a rendered contact scene whose contact shows faces 13 px wide, the frame loop reports the
masked contact masked and the bare patient not masked, where it reported both unknown
before faces under 20 px voted by colour."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.contact_scene import ContactCondition, make_contact_scenario
from cctrace.sim.render import CameraRenderer, render_video
from cctrace.video.frames import probe


def _who(renderer: CameraRenderer, s: Sighting, t0: float) -> str | None:
    """The scripted person whose drawn box overlaps the sighting's boxes most often."""
    assert s.path_box_xyxy is not None
    votes: Counter[str | None] = Counter()
    for t, box in zip(s.path_t_s, s.path_box_xyxy, strict=True):
        figures = renderer.figures_at(t - t0)
        if not figures:
            continue
        iou = box_iou_batch(box[None].astype(np.float64), np.stack([f.box_xyxy for f in figures]))
        best = int(np.argmax(iou[0]))
        votes[figures[best].person.person_id if iou[0, best] > 0.3 else None] += 1
    return votes.most_common(1)[0][0] if votes else None


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
            who = _who(renderer, s, t0)
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
