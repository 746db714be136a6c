"""The contact scenes of issue 15.6: each condition renders what it says, and the truth
has the contact within 2 m of the patient for the whole recording."""

from __future__ import annotations

import pytest

from cctrace.sim.contact_scene import (
    CAMERA_ID,
    RECORDING_S,
    ContactCondition,
    make_contact_scenario,
)
from cctrace.sim.render import CameraRenderer, scenario_truth


@pytest.mark.parametrize(
    "condition",
    [ContactCondition(masked=True, occluded=True), ContactCondition(pose="feet_cut")],
    ids=["masked-occluded", "feet-cut"],
)
def test_each_condition_renders_what_it_says(condition: ContactCondition) -> None:
    scenario = make_contact_scenario(1, condition)
    truth = scenario_truth(scenario)
    (contact,) = [c for c in truth.contacts if c.person_id == "contact"]
    assert contact.exposure_s(2.0) == pytest.approx(RECORDING_S, abs=0.5)
    assert contact.contact_masked is condition.masked and not contact.patient_masked
    renderer = CameraRenderer(scenario, CAMERA_ID)
    frame = renderer.render(RECORDING_S / 2, 0, with_truth=True)
    seen = {f.person_id: f for f in frame.figures}
    height_px = renderer.camera.height_px
    for who in ("patient", "contact"):
        fig = seen[who]
        assert fig.face_box_xyxy is not None  # both look towards the camera
        assert bool(fig.box_xyxy[3] > height_px) == (condition.pose == "feet_cut")
    assert bool(seen["contact"].visible_fraction < 0.8) == condition.occluded
    assert bool(seen["contact"].masked) == condition.masked
