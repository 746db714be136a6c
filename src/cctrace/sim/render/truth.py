"""The scenario's true route and contacts, for scoring a trace afterwards (never fed to it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from cctrace.sim.render.background import ray_box
from cctrace.sim.render.base import F64, TRUTH_STEP_S, Role
from cctrace.sim.render.cameras import CameraSpec
from cctrace.sim.render.figures import build_figure
from cctrace.sim.render.scenario import DemoScenario
from cctrace.sim.render.world import Building, ScriptedPerson


@dataclass(frozen=True)
class TrueStay:
    """The patient in one camera's view, from ``t_start_utc`` to ``t_end_utc``."""

    camera_id: str
    t_start_utc: datetime
    t_end_utc: datetime
    masked: bool


@dataclass(frozen=True)
class TrueContact:
    """Another person in the same camera view as the patient at the same time.

    t_s: (N,) scenario seconds sampled every `TRUTH_STEP_S` while both are in view;
    distance_m: (N,) their true floor distance then.
    """

    person_id: str
    role: Role
    camera_id: str
    t_start_utc: datetime
    t_end_utc: datetime
    t_s: F64 = field(repr=False)
    distance_m: F64 = field(repr=False)
    patient_masked: bool
    contact_masked: bool

    @property
    def min_distance_m(self) -> float:
        return float(self.distance_m.min())

    def exposure_s(self, within_m: float) -> float:
        """Seconds in view together at most ``within_m`` apart."""
        return float(np.count_nonzero(self.distance_m <= within_m) * TRUTH_STEP_S)


@dataclass(frozen=True)
class DemoTruth:
    """The scenario's ground truth, only for comparing a trace's result afterwards."""

    patient_id: str
    route: tuple[TrueStay, ...]
    contacts: tuple[TrueContact, ...]

    def exposure_by_person_s(self, within_m: float) -> dict[str, float]:
        """Seconds within ``within_m`` of the patient, summed over cameras, per person."""
        out: dict[str, float] = {}
        for c in self.contacts:
            out[c.person_id] = out.get(c.person_id, 0.0) + c.exposure_s(within_m)
        return out


MIN_SEEN_HEIGHT_PX = 30.0
"""Below this a figure is a smudge that no person detector reports: not seen."""


def _segment_hidden(origin: F64, point: F64, buildings: Sequence[Building]) -> bool:
    """Whether a building stands between the camera and a world point (3,)."""
    d = point - origin
    with np.errstate(divide="ignore"):
        inv = (1.0 / d)[None, :]
    for b in buildings:
        tmin, tmax = ray_box(origin, inv, b)
        t_near, t_far = float(tmin.max()), float(tmax.min())
        if t_near <= t_far and 0.0 < t_near < 1.0:
            return True
    return False


def _seen(scenario: DemoScenario, person: ScriptedPerson, camera: CameraSpec, t_s: float) -> bool:
    """A person counts as seen by a camera when head and shoulders project into the
    frame, no building hides them, and the figure is at least `MIN_SEEN_HEIGHT_PX` tall:
    what a person detector can find (an upper body cut by the frame's bottom edge
    included)."""
    pose = person.pose_at(t_s)
    if pose is None:
        return False
    fig = build_figure(person, pose, camera, t_s)
    if fig is None or fig.box_xyxy[3] - fig.box_xyxy[1] < MIN_SEEN_HEIGHT_PX:
        return False
    w, h = camera.image_size_px
    for z in (0.93 * person.height_m, 0.8 * person.height_m):
        point = np.array([pose.xy_m[0], pose.xy_m[1], z])
        uv, depth = camera.project(point)
        if not (depth[0] > 0 and 0 <= uv[0, 0] < w and 0 <= uv[0, 1] < h):
            return False
        if _segment_hidden(camera.centre_xyz_m, point, scenario.buildings):
            return False
    return True


def _utc(scenario: DemoScenario, t_s: float) -> datetime:
    return scenario.start_utc + timedelta(seconds=round(t_s, 3))


def _runs(mask: NDArray[np.bool_], max_gap: int) -> list[tuple[int, int]]:
    """Index ranges [a, b] of True runs, bridging gaps of up to ``max_gap`` samples."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    runs = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        if i - prev > max_gap + 1:
            runs.append((start, prev))
            start = int(i)
        prev = int(i)
    runs.append((start, prev))
    return runs


def scenario_truth(scenario: DemoScenario) -> DemoTruth:
    """True route (the patient's stays per camera) and contacts (everyone in view with
    the patient, with the floor distance over time), from the script alone."""
    patient = scenario.patient
    route: list[TrueStay] = []
    contacts: list[TrueContact] = []
    gap = round(3.0 / TRUTH_STEP_S)  # a 3 s occlusion does not end a stay
    for cam in scenario.cameras:
        rec = scenario.recording(cam.camera_id)
        ts = np.arange(rec.t_start_s, rec.t_end_s, TRUTH_STEP_S)
        seen = {
            p.person_id: np.array([_seen(scenario, p, cam, float(t)) for t in ts])
            for p in scenario.people
        }
        for a, b in _runs(seen[patient.person_id], gap):
            masked = any(patient.masked_at(float(t)) for t in ts[a : b + 1])
            route.append(
                TrueStay(cam.camera_id, _utc(scenario, ts[a]), _utc(scenario, ts[b]), masked)
            )
        for other in scenario.people:
            if other is patient:
                continue
            both = seen[patient.person_id] & seen[other.person_id]
            for a, b in _runs(both, 0):
                sel = np.flatnonzero(both[a : b + 1]) + a
                dist = np.array([_distance(patient, other, float(ts[i])) for i in sel])
                contacts.append(
                    TrueContact(
                        other.person_id,
                        other.role,
                        cam.camera_id,
                        _utc(scenario, ts[a]),
                        _utc(scenario, ts[b]),
                        np.asarray(ts[sel], np.float64),
                        dist,
                        any(patient.masked_at(float(ts[i])) for i in sel),
                        any(other.masked_at(float(ts[i])) for i in sel),
                    )
                )
    route.sort(key=lambda s: s.t_start_utc)
    contacts.sort(key=lambda c: (c.t_start_utc, c.person_id))
    return DemoTruth(patient.person_id, tuple(route), tuple(contacts))


def _distance(a: ScriptedPerson, b: ScriptedPerson, t_s: float) -> float:
    pa, pb = a.pose_at(t_s), b.pose_at(t_s)
    assert pa is not None and pb is not None
    return float(np.hypot(*(pa.xy_m - pb.xy_m)))
