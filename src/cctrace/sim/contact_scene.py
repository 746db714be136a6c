"""One uncalibrated camera, the patient and one contact standing together: scenes for
measuring distances by condition (mask, pose, occlusion) against the known truth.

`make_contact_scenario(seed, condition)` places the patient and a contact 1.0-1.7 m apart
(mostly side by side, partly one behind the other), both looking roughly towards the
camera, for the whole recording, while passers-by walk across at other distances (what
any street camera sees, and what gives an uncalibrated camera its rows). The seed draws
the camera's mounting, the contact's stature (1.50-1.92 m), where the pair stands and
the passers-by. The condition chooses:

- ``masked``: the contact wears a mask (the patient does not);
- ``pose``: ``"whole"`` (feet in view, 0.8-2.5 m beyond the nearest floor in view, 4-7 m
  from the camera) or ``"feet_cut"`` (0.3-0.8 m nearer than it, so the frame's bottom
  edge cuts their legs);
- ``occluded``: a block 0.9-1.1 m high (a counter, a planter, a parked car) stands 1 m in
  front of the contact on the camera's line of sight, hiding their legs.

The camera's field of view is the 70° that ingestion assumes when it has no
calibration, so that what is measured is the body-height model, not a lens mismatch
(docs/calibration.md quantifies that separately). Rendering, the truth
(`scenario_truth`) and videos come from `cctrace.sim.render`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from cctrace.sim.masks import COLOURS_BGR
from cctrace.sim.render import (
    Building,
    CameraSpec,
    DemoScenario,
    Keyframe,
    Outfit,
    Recording,
    ScriptedPerson,
    stand,
    walk,
)

CAMERA_ID = "cam-x"
SIZE_PX = (1024, 576)
"""Large enough that faces 4-7 m away are 15-25 px wide: a mask can be seen."""
HFOV_DEG = 70.0
RECORDING_S = 16.0
Pose = Literal["whole", "feet_cut"]


@dataclass(frozen=True)
class ContactCondition:
    masked: bool = False
    pose: Pose = "whole"
    occluded: bool = False

    @property
    def label(self) -> str:
        return (
            f"{'masked' if self.masked else 'unmasked'}, "
            f"{'feet cut' if self.pose == 'feet_cut' else 'whole body'}, "
            f"{'occluded' if self.occluded else 'in the open'}"
        )


def _outfit(rng: np.random.Generator) -> Outfit:
    def colour() -> tuple[int, int, int]:
        b, g, r = (int(v) for v in rng.integers(30, 220, 3))
        return (b, g, r)

    return Outfit(shirt_bgr=colour(), trousers_bgr=colour())


def make_contact_scenario(seed: int, condition: ContactCondition) -> DemoScenario:
    """The scene of the module docstring; the truth comes from `scenario_truth`."""
    rng = np.random.default_rng([seed, 15])
    w, h = SIZE_PX
    camera = CameraSpec(
        CAMERA_ID,
        "Contact scene",
        "scene",
        (0.0, 0.0),
        float(rng.uniform(2.8, 3.6)),  # mounting height, m
        90.0,  # looking north, along +y
        float(rng.uniform(14.0, 22.0)),  # downward tilt
        HFOV_DEG,
        w,
        h,
    )
    t_end = RECORDING_S + 1.0
    # The nearest floor in view: where the frame's bottom edge meets the floor.
    half_vfov = math.atan(h / 2 / camera.f_px)
    edge_m = camera.height_m / math.tan(math.radians(camera.tilt_deg) + half_vfov)
    offset_m = rng.uniform(-0.8, -0.3) if condition.pose == "feet_cut" else rng.uniform(0.8, 2.5)
    depth_m = edge_m + float(offset_m)
    patient_xy = (float(rng.uniform(-1.0, 0.0)), depth_m)
    apart_m = float(rng.uniform(1.0, 1.7))
    bearing = math.radians(float(rng.uniform(-30.0, 30.0)))  # 0: side by side
    contact_xy = (
        patient_xy[0] + apart_m * math.cos(bearing),
        patient_xy[1] + apart_m * math.sin(bearing),
    )
    toward_camera = -90.0  # facing south, the camera's way
    patient = ScriptedPerson(
        "patient",
        "patient",
        1.72,
        _outfit(rng),
        tuple(stand([Keyframe(-1.0, patient_xy)], t_end, toward_camera + 30.0)),
        face="lfw",
        lfw_index=int(rng.integers(100)),
    )
    contact = ScriptedPerson(
        "contact",
        "friend",
        float(rng.uniform(1.5, 1.92)),
        _outfit(rng),
        tuple(stand([Keyframe(-1.0, contact_xy)], t_end, toward_camera - 30.0)),
        face="lfw",
        lfw_index=int(rng.integers(100)),
        masked_from_s=-1e9 if condition.masked else None,
        mask_style=("surgical", "cloth", "kn95")[int(rng.integers(3))],
        mask_bgr=(COLOURS_BGR["white"], COLOURS_BGR["light_blue"], COLOURS_BGR["black"])[
            int(rng.integers(3))
        ],
    )
    people = [patient, contact]
    buildings = [Building((-30.0, 30.0), (25.0, 40.0), 10.0, (150, 160, 170))]
    if condition.occluded:
        # A counter, planter or parked car: a low block on the line of sight 1 m in
        # front of the contact, hiding their legs but not their head and shoulders.
        d = float(np.hypot(*contact_xy))
        cx, cy = (contact_xy[0] * (d - 1.0) / d, contact_xy[1] * (d - 1.0) / d)
        block_m = float(rng.uniform(0.9, 1.1))
        buildings.append(
            Building((cx - 0.6, cx + 0.6), (cy - 0.25, cy + 0.25), block_m, (90, 110, 120))
        )
    # Passers-by across and along the view at other distances, one after the other.
    for i in range(4):
        start = float(rng.uniform(-2.0, RECORDING_S - 8.0))
        if i % 2 == 0:  # across the view
            y = float(rng.uniform(depth_m + 2.5, depth_m + 8.0))
            x0 = -6.0 if rng.random() < 0.5 else 6.0
            path = [(x0, y), (-x0, y + float(rng.uniform(-1, 1)))]
        else:  # towards or away from the camera, beside the pair
            x = float(rng.uniform(2.5, 4.0)) * (1 if rng.random() < 0.5 else -1)
            path = [(x, 16.0), (x + float(rng.uniform(-1, 1)), 2.5)]
            if rng.random() < 0.5:
                path.reverse()
        people.append(
            ScriptedPerson(
                f"passer-{i + 1}",
                "bystander",
                float(np.clip(rng.normal(1.72, 0.07), 1.55, 1.92)),
                _outfit(rng),
                tuple(walk(start, path, float(rng.uniform(1.1, 1.5)))),
                face="none",
            )
        )
    return DemoScenario(
        seed=seed,
        start_utc=datetime(2024, 5, 14, 9, 0, 0, tzinfo=UTC),
        cameras=(camera,),
        recordings=(Recording(CAMERA_ID, 0.0, RECORDING_S),),
        buildings=tuple(buildings),
        roads=(),
        people=tuple(people),
    )
