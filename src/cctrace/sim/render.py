"""A small synthetic town rendered as CCTV video: the footage ``cctrace demo`` ingests.

`make_demo_scenario(seed)` lays out three streets of one town (site-plan metres: x east,
y north, z up) with a pinhole camera at each (position, mounting height, heading, downward
tilt, horizontal field of view), and scripts people walking between them: the patient
(face: ``skimage.data.astronaut()``) leaves the station past camera A, meets a friend
(face: matplotlib's ``grace_hopper.jpg``) and stands about 1 m from her for most of a
minute in front of camera B while a stranger passes 3-5 m away, then puts on a mask and
waits at a shop window beside a masked stranger under camera C. Bystanders (faces from
``skimage.data.lfw_subset()``, tinted) walk, stand in pairs and wear masks.

`render_videos` writes one H.264 mp4 per camera with millisecond presentation times and
a ``creation_time`` tag, and returns each camera's ground-plane calibration as image <->
floor point pairs, computed from the true pinhole model (what a surveyor would measure).
`scenario_truth` gives the true route and contacts, for comparing a trace's result
afterwards: it must never be fed to the pipeline, which has to find everything from the
pixels.

Figures are 3D stick skeletons with volume (tapered capsules for limbs, a box hull for
the torso, an ellipsoid head), posed by a walking gait (legs swing with knee flexion,
arms counter-swing, the body bobs), projected through the camera with perspective, shaded
from the upper left and drawn back to front. The background is ray-cast once per camera
(paving, asphalt, facades with windows and shopfronts, sky), then each frame gets the
people, a soft lens blur and sensor noise before H.264 adds its own softness.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cctrace.core.types import ImageBGR
from cctrace.sim.masks import COLOURS_BGR, MaskStyle, draw_mask

F64 = NDArray[np.float64]
BGR = tuple[int, int, int]
Role = Literal["patient", "friend", "bystander"]

DEFAULT_FPS = 8.0
"""Frames per second written: ingestion samples about 4 per second, so 8 leaves it a
choice of frames while keeping rendering and decoding cheap."""
DEFAULT_SIZE_PX = (768, 432)
HEAD_FRACTION = 1 / 7.5
"""Head height (crown to chin) as a fraction of body height, the classical adult canon."""
FACE_FRONT_COS = 0.35
"""A head whose facing direction is within ~70 degrees of the camera shows its face."""
TRUTH_STEP_S = 0.25


# --------------------------------------------------------------------------- cameras


@dataclass(frozen=True)
class CameraSpec:
    """A fixed pinhole camera over the town's ground plane.

    ``yaw_deg``: the direction it looks on the site plan, counter-clockwise from east
    (+x); ``tilt_deg``: downward tilt from horizontal; ``hfov_deg``: horizontal field of
    view. Principal point at the image centre, square pixels, no lens distortion.
    """

    camera_id: str
    name: str
    site: str
    position_xy_m: tuple[float, float]
    height_m: float
    yaw_deg: float
    tilt_deg: float
    hfov_deg: float
    width_px: int = DEFAULT_SIZE_PX[0]
    height_px: int = DEFAULT_SIZE_PX[1]

    @property
    def image_size_px(self) -> tuple[int, int]:
        return (self.width_px, self.height_px)

    @cached_property
    def f_px(self) -> float:
        return (self.width_px / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @cached_property
    def centre_xyz_m(self) -> F64:
        return np.array([*self.position_xy_m, self.height_m], dtype=np.float64)

    @cached_property
    def rotation(self) -> F64:
        """(3, 3) world -> camera; rows are the camera's right, down and forward axes."""
        yaw, tilt = math.radians(self.yaw_deg), math.radians(self.tilt_deg)
        forward = np.array(
            [math.cos(yaw) * math.cos(tilt), math.sin(yaw) * math.cos(tilt), -math.sin(tilt)]
        )
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def to_camera(self, world_xyz_m: ArrayLike) -> F64:
        """(N, 3) world metres -> (N, 3) camera metres (x right, y down, z depth)."""
        p = np.asarray(world_xyz_m, dtype=np.float64).reshape(-1, 3)
        return np.asarray((p - self.centre_xyz_m) @ self.rotation.T, dtype=np.float64)

    def project(self, world_xyz_m: ArrayLike) -> tuple[F64, F64]:
        """(N, 3) world metres -> pixels (N, 2) and depth (N,) metres; points less than
        5 cm in front of the camera come back NaN."""
        cam = self.to_camera(world_xyz_m)
        depth = cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = self.f_px * cam[:, :2] / depth[:, None] + np.array(
                [self.width_px / 2, self.height_px / 2]
            )
        uv[depth < 0.05] = np.nan
        return uv, depth

    def floor_to_image(self, floor_xy_m: ArrayLike) -> F64:
        """(N, 2) floor metres -> (N, 2) pixels."""
        xy = np.asarray(floor_xy_m, dtype=np.float64).reshape(-1, 2)
        return self.project(np.column_stack([xy, np.zeros(len(xy))]))[0]

    def image_to_floor(self, image_xy_px: ArrayLike) -> F64:
        """(N, 2) pixels -> (N, 2) floor metres; pixels at or above the horizon are NaN."""
        uv = np.asarray(image_xy_px, dtype=np.float64).reshape(-1, 2)
        rays = self._rays(uv)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(rays[:, 2] < 0, -self.height_m / rays[:, 2], np.nan)
        return np.asarray(self.centre_xyz_m[:2] + t[:, None] * rays[:, :2], dtype=np.float64)

    def _rays(self, uv: F64) -> F64:
        """World-frame ray directions (N, 3) through pixel centres (N, 2)."""
        x = (uv[:, 0] - self.width_px / 2) / self.f_px
        y = (uv[:, 1] - self.height_px / 2) / self.f_px
        cam = np.stack([x, y, np.ones_like(x)], axis=1)
        return np.asarray(cam @ self.rotation, dtype=np.float64)


@dataclass(frozen=True)
class CalibrationPoints:
    """Image <-> floor correspondences of one camera, as a surveyor would hand them over.

    image_xy_px: (N, 2) pixels; floor_xy_m: (N, 2) site-plan metres; image_size_px:
    (width, height) of the video they belong to.
    """

    image_xy_px: F64
    floor_xy_m: F64
    image_size_px: tuple[int, int]

    def to_json(self) -> dict[str, object]:
        """The calibration file format of docs/calibration.md."""
        return {
            "points": [
                {"image": [float(u), float(v)], "floor": [float(x), float(y)]}
                for (u, v), (x, y) in zip(self.image_xy_px, self.floor_xy_m, strict=True)
            ],
            "image_size": list(self.image_size_px),
        }


def calibration_points(camera: CameraSpec, max_depth_m: float = 22.0) -> CalibrationPoints:
    """Nine floor points spread over the visible floor (3 depths x 3 columns), projected
    through the true camera and rounded to 0.1 px like clicked points.

    The nearest row sits just above the image's bottom edge, the farthest at
    ``max_depth_m`` or where the floor meets the top of the image.
    """
    w, h = camera.image_size_px
    margin = 0.06
    # Depth along the floor where image rows meet it; the farthest clamped to max_depth_m.
    rows_v = np.array([h * (1 - margin), h * 0.62, h * 0.3])
    centre_col = np.column_stack([np.full(3, w / 2), rows_v])
    floor_centre = camera.image_to_floor(centre_col)
    cam_xy = np.asarray(camera.position_xy_m)
    yaw = math.radians(camera.yaw_deg)
    forward = np.array([math.cos(yaw), math.sin(yaw)])
    depths = (floor_centre - cam_xy) @ forward
    depths = np.where(np.isfinite(depths), depths, max_depth_m)
    depths = np.minimum(depths, max_depth_m)
    image_pts, floor_pts = [], []
    for depth in depths:
        centre_uv = camera.floor_to_image(cam_xy + depth * forward)[0]
        for frac in (-0.8, 0.0, 0.8):
            uv = np.array([[w / 2 + frac * (w / 2) * (1 - margin), centre_uv[1]]])
            xy = camera.image_to_floor(uv)[0]
            image_pts.append(np.round(camera.floor_to_image(xy)[0], 1))
            floor_pts.append(np.round(xy, 3))
    return CalibrationPoints(
        np.asarray(image_pts, np.float64), np.asarray(floor_pts, np.float64), (w, h)
    )


# --------------------------------------------------------------------------- the town


@dataclass(frozen=True)
class Building:
    """An axis-aligned block on the site plan, ``x_m`` and ``y_m`` its (min, max)."""

    x_m: tuple[float, float]
    y_m: tuple[float, float]
    height_m: float
    facade_bgr: BGR
    shopfront_bgr: BGR | None = None
    """Sign band colour of a ground-floor shop (None: windows only)."""


@dataclass(frozen=True)
class Road:
    """Asphalt on the site plan, a (min, max) rectangle; elsewhere is paving."""

    x_m: tuple[float, float]
    y_m: tuple[float, float]


@dataclass(frozen=True)
class Recording:
    """The stretch of scenario time a camera's video covers, seconds from the start."""

    camera_id: str
    t_start_s: float
    t_end_s: float


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Outfit:
    shirt_bgr: BGR
    trousers_bgr: BGR
    shoes_bgr: BGR = (30, 30, 35)
    skin_bgr: BGR = (120, 150, 200)
    hair_bgr: BGR = (40, 50, 70)
    short_sleeves: bool = False


@dataclass(frozen=True)
class Keyframe:
    """Where a person is at ``t_s``; between two keyframes they move in a straight line
    at constant speed. ``facing_deg`` (counter-clockwise from east) is where they face
    while standing still from this keyframe on; None keeps the last walking direction."""

    t_s: float
    xy_m: tuple[float, float]
    facing_deg: float | None = None


@dataclass(frozen=True)
class Pose:
    xy_m: F64
    heading_rad: float
    walking: bool
    gait_phase_rad: float


FaceSource = Literal["astronaut", "grace_hopper", "lfw", "none"]


@dataclass(frozen=True)
class ScriptedPerson:
    """A person with a body, clothes, a face and a path. Outside the first and last
    keyframe they are not in town (inside a building, or beyond the cameras)."""

    person_id: str
    role: Role
    height_m: float
    outfit: Outfit
    keyframes: tuple[Keyframe, ...]
    face: FaceSource = "lfw"
    lfw_index: int = 0
    masked_from_s: float | None = None
    """Wears a mask from this time on (None: never)."""
    mask_style: MaskStyle = "surgical"
    mask_bgr: BGR = COLOURS_BGR["light_blue"]

    def __post_init__(self) -> None:
        times = [k.t_s for k in self.keyframes]
        if len(times) < 2 or any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError(f"{self.person_id}: keyframes need 2+ strictly increasing times")

    @property
    def t_span_s(self) -> tuple[float, float]:
        return self.keyframes[0].t_s, self.keyframes[-1].t_s

    def masked_at(self, t_s: float) -> bool:
        return self.masked_from_s is not None and t_s >= self.masked_from_s

    def pose_at(self, t_s: float) -> Pose | None:
        """Position, heading and gait phase at ``t_s``; None outside the keyframes."""
        kfs = self.keyframes
        if not kfs[0].t_s <= t_s <= kfs[-1].t_s:
            return None
        i = max(0, min(len(kfs) - 2, int(np.searchsorted([k.t_s for k in kfs], t_s) - 1)))
        walked_m = 0.0
        heading = math.radians(kfs[0].facing_deg) if kfs[0].facing_deg is not None else 0.0
        for j in range(i + 1):
            a, b = np.asarray(kfs[j].xy_m), np.asarray(kfs[j + 1].xy_m)
            step = b - a
            dist = float(np.hypot(*step))
            frac = 1.0 if j < i else (t_s - kfs[j].t_s) / (kfs[j + 1].t_s - kfs[j].t_s)
            if dist > 1e-3:
                heading = math.atan2(step[1], step[0])
                walked_m += dist * frac
            elif (facing := kfs[j].facing_deg) is not None:
                heading = math.radians(facing)
        a, b = np.asarray(kfs[i].xy_m), np.asarray(kfs[i + 1].xy_m)
        frac = (t_s - kfs[i].t_s) / (kfs[i + 1].t_s - kfs[i].t_s)
        walking = float(np.hypot(*(b - a))) > 1e-3
        stride_m = 0.8 * self.height_m  # one full gait cycle (two steps)
        return Pose(a + frac * (b - a), heading, walking, 2 * math.pi * walked_m / stride_m)


def walk(
    start_t_s: float, points_xy_m: Sequence[tuple[float, float]], speed_m_s: float
) -> list[Keyframe]:
    """Keyframes walking through ``points_xy_m`` at a constant speed from ``start_t_s``."""
    out = [Keyframe(start_t_s, points_xy_m[0])]
    t = start_t_s
    for a, b in itertools.pairwise(points_xy_m):
        t += math.hypot(b[0] - a[0], b[1] - a[1]) / speed_m_s
        out.append(Keyframe(t, b))
    return out


def stand(keyframes: list[Keyframe], until_t_s: float, facing_deg: float) -> list[Keyframe]:
    """Keyframes plus a stay where the last one ends, facing ``facing_deg``."""
    last = keyframes[-1]
    return [*keyframes[:-1], replace(last, facing_deg=facing_deg), Keyframe(until_t_s, last.xy_m)]


def then_walk(
    keyframes: list[Keyframe], points_xy_m: Sequence[tuple[float, float]], speed_m_s: float
) -> list[Keyframe]:
    """Keyframes continued from where and when the last one ends."""
    last = keyframes[-1]
    return [*keyframes, *walk(last.t_s, [last.xy_m, *points_xy_m], speed_m_s)[1:]]


# --------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class DemoScenario:
    """Everything that is rendered; `scenario_truth` derives the ground truth from it."""

    seed: int
    start_utc: datetime
    cameras: tuple[CameraSpec, ...]
    recordings: tuple[Recording, ...]
    buildings: tuple[Building, ...]
    roads: tuple[Road, ...]
    people: tuple[ScriptedPerson, ...]
    fps: float = DEFAULT_FPS
    noise_sigma: float = 3.0
    """Sensor noise, standard deviation in 8-bit levels."""

    def camera(self, camera_id: str) -> CameraSpec:
        for cam in self.cameras:
            if cam.camera_id == camera_id:
                return cam
        raise KeyError(f"no camera {camera_id!r} in the scenario")

    def recording(self, camera_id: str) -> Recording:
        for rec in self.recordings:
            if rec.camera_id == camera_id:
                return rec
        raise KeyError(f"no recording for camera {camera_id!r}")

    @property
    def patient(self) -> ScriptedPerson:
        return next(p for p in self.people if p.role == "patient")


_SHIRTS: tuple[BGR, ...] = (
    (60, 140, 60),  # green
    (225, 225, 222),  # white
    (38, 36, 40),  # black
    (170, 110, 40),  # blue
    (140, 60, 120),  # purple
    (30, 130, 235),  # orange
    (150, 150, 150),  # grey
    (140, 140, 30),  # teal
    (150, 190, 215),  # beige
    (40, 80, 120),  # brown
)
_TROUSERS: tuple[BGR, ...] = (
    (95, 60, 35),  # denim
    (35, 35, 38),  # black
    (105, 105, 110),  # grey
    (120, 160, 180),  # khaki
    (40, 55, 80),  # brown
)
_SKINS: tuple[BGR, ...] = ((120, 150, 200), (100, 135, 185), (70, 100, 150), (55, 75, 110))
_HAIRS: tuple[BGR, ...] = ((30, 35, 45), (40, 60, 95), (25, 25, 28), (120, 150, 175))


def _bystander(
    rng: np.random.Generator,
    person_id: str,
    keyframes: Sequence[Keyframe],
    masked: bool = False,
) -> ScriptedPerson:
    """A passer-by with seeded clothes, height, face and (optionally) a mask."""
    outfit = Outfit(
        shirt_bgr=_SHIRTS[int(rng.integers(len(_SHIRTS)))],
        trousers_bgr=_TROUSERS[int(rng.integers(len(_TROUSERS)))],
        skin_bgr=_SKINS[int(rng.integers(len(_SKINS)))],
        hair_bgr=_HAIRS[int(rng.integers(len(_HAIRS)))],
        short_sleeves=bool(rng.random() < 0.3),
    )
    style: MaskStyle = ("surgical", "cloth", "kn95")[int(rng.integers(3))]
    colour = (COLOURS_BGR["white"], COLOURS_BGR["light_blue"], COLOURS_BGR["black"])[
        int(rng.integers(3))
    ]
    return ScriptedPerson(
        person_id=person_id,
        role="bystander",
        height_m=float(np.clip(rng.normal(1.72, 0.07), 1.55, 1.92)),
        outfit=outfit,
        keyframes=tuple(keyframes),
        face="lfw",
        lfw_index=int(rng.integers(100)),  # the first 100 of lfw_subset are faces
        masked_from_s=-1e9 if masked else None,
        mask_style=style,
        mask_bgr=colour,
    )


def make_demo_scenario(
    seed: int = 7,
    start_utc: datetime = datetime(2024, 5, 14, 9, 0, 0, tzinfo=UTC),
    size_px: tuple[int, int] = DEFAULT_SIZE_PX,
    fps: float = DEFAULT_FPS,
) -> DemoScenario:
    """Three cameras along one town's main street and the people who pass them.

    The patient and the friend follow a fixed script (the story the demo tells); the
    seed varies the bystanders' clothes, faces, heights, speeds and small path offsets,
    and the sensor noise.

    Timeline (seconds from ``start_utc``): camera A records 0-50 (the patient leaves the
    station towards the camera, 5-20), camera B 62-152 (the patient arrives from the
    alley, stands ~1 m from the friend about 95-142 while a stranger passes 3-5 m
    away), camera C 170-230 (masked, the patient waits 1.3 m from a masked stranger at
    the pharmacy window, about 192-212).
    """
    rng = np.random.default_rng(seed)
    w, h = size_px

    def jitter(xy: tuple[float, float], m: float = 0.4) -> tuple[float, float]:
        dx, dy = rng.uniform(-m, m, 2)
        return (round(xy[0] + float(dx), 2), round(xy[1] + float(dy), 2))

    def speed() -> float:
        return float(rng.uniform(1.1, 1.5))

    cameras = (
        CameraSpec(
            "cam-a",
            "Central Station entrance",
            "Station Square",
            (0.0, 0.0),
            2.8,
            90.0,
            12.0,
            40.0,
            w,
            h,
        ),
        CameraSpec(
            "cam-b", "Market Square café", "Market Square", (60.0, 0.0), 3.4, 90.0, 17.0, 56.0, w, h
        ),
        CameraSpec(
            "cam-c",
            "High Street pharmacy",
            "High Street",
            (130.0, 0.0),
            3.2,
            92.0,
            15.0,
            60.0,
            w,
            h,
        ),
    )
    recordings = (
        Recording("cam-a", 0.0, 50.0),
        Recording("cam-b", 62.0, 152.0),
        Recording("cam-c", 170.0, 230.0),
    )
    buildings = (
        Building((-25, 25), (15, 35), 11.0, (150, 185, 210)),  # the station, sandstone
        Building((25, 45), (18, 35), 9.0, (120, 130, 150)),
        Building((35, 57), (17, 35), 12.0, (170, 175, 185), (40, 40, 160)),  # the café
        Building((63, 90), (17, 35), 10.0, (110, 140, 170), (120, 70, 30)),
        Building((50, 75), (48, 62), 14.0, (160, 160, 165)),  # the end of the alley
        Building((100, 127), (14, 30), 9.0, (145, 160, 175), (60, 60, 60)),
        Building((127, 141), (14, 30), 8.0, (205, 210, 210), (70, 150, 40)),  # pharmacy
        Building((141, 165), (14, 30), 13.0, (110, 120, 135)),
    )
    roads = (Road((-60.0, 200.0), (-9.0, -2.5)),)  # the main street behind the cameras

    # The patient: out of the station door, towards camera A, a pause facing it.
    patient_kf = walk(5.0, [(0.8, 14.6), (0.25, 4.3)], 1.25)
    patient_kf = stand(patient_kf, patient_kf[-1].t_s + 3.0, -90.0)
    # Off camera to the alley behind Market Square, then down it towards camera B.
    patient_kf = then_walk(patient_kf, [(10.0, 4.6), (45.0, 40.0), (60.2, 40.0)], 1.4)
    patient_kf = then_walk(patient_kf, [(60.2, 16.0), (59.5, 6.2)], 1.3)
    meet_start_s = patient_kf[-1].t_s
    patient_kf = stand(patient_kf, 142.0, -45.0)  # turned towards the friend and camera
    # Away towards the camera first, then east: never through the friend's spot.
    patient_kf = then_walk(
        patient_kf, [(59.0, 3.6), (72.0, 3.4), (115.0, 8.5), (128.6, 10.5)], 1.35
    )
    patient_kf = stand(patient_kf, 212.0, 90.0)  # looking into the pharmacy window
    patient_kf = then_walk(patient_kf, [(131.5, 5.0), (142.0, 4.0)], 1.3)
    patient = ScriptedPerson(
        "patient",
        "patient",
        1.68,
        Outfit((40, 40, 185), (95, 55, 30), skin_bgr=(125, 160, 210), hair_bgr=(60, 110, 150)),
        tuple(patient_kf),
        face="astronaut",
        masked_from_s=160.0,
        mask_style="surgical",
        mask_bgr=COLOURS_BGR["white"],
    )

    friend_kf = walk(62.0, [(69.0, 8.5), (60.5, 6.3)], 1.2)
    friend_kf = stand(friend_kf, meet_start_s, -100.0)  # waiting, watching the square
    friend_kf = stand(friend_kf, 144.0, -135.0)  # chatting with the patient
    friend_kf = then_walk(friend_kf, [(55.5, 9.5), (40.0, 9.5)], 1.2)
    friend = ScriptedPerson(
        "friend",
        "friend",
        1.62,
        Outfit((70, 120, 160), (35, 35, 38), skin_bgr=(130, 160, 205), hair_bgr=(170, 175, 180)),
        tuple(friend_kf),
        face="grace_hopper",
    )

    # Bystanders who walk: (id, start time, waypoints, masked, seeded). With ``seeded``
    # the inner waypoints move by up to 0.4 m and the speed varies with the seed.
    walkers: tuple[tuple[str, float, tuple[tuple[float, float], ...], bool, bool], ...] = (
        # Camera A: leaving and entering the station.
        ("a-walker-1", 1.0, ((-2.0, 14.6), (-4.5, 3.5), (-12.0, 2.0)), False, True),
        ("a-walker-2", 9.0, ((12.0, 9.0), (1.5, 10.0), (-1.0, 14.6)), False, True),
        ("a-walker-3", 28.0, ((-10.0, 7.0), (2.0, 8.0), (14.0, 9.5)), False, True),
        ("a-walker-4", 33.0, ((1.8, 14.6), (1.0, 5.0), (-9.0, 3.0)), False, True),
        # Camera B: the stranger passing 3-5 m from the patient, a masked man from the
        # alley, a walker crossing.
        ("b-passer", 100.0, ((72.0, 10.0), (61.0, 10.2), (46.0, 9.5)), False, False),
        ("b-alley", 64.0, ((59.0, 36.0), (58.8, 14.0), (53.0, 5.0), (45.0, 4.0)), True, True),
        ("b-walker-1", 118.0, ((47.0, 4.0), (62.0, 3.8), (75.0, 4.5)), False, True),
        # Camera C: walkers on the pavement in front of the pharmacy.
        ("c-walker-1", 171.0, ((141.0, 7.0), (130.0, 6.5), (118.0, 7.5)), False, True),
        ("c-walker-2", 196.0, ((119.0, 12.0), (134.0, 12.5), (142.0, 11.0)), False, True),
        ("c-walker-3", 214.0, ((131.0, 13.8), (130.0, 4.5), (119.0, 3.0)), False, True),
    )
    standing: tuple[tuple[str, float, float, tuple[float, float], float, bool], ...] = (
        # (id, from, until, where, facing, masked)
        ("a-waiting", -5.0, 60.0, (-2.6, 9.5), -60.0, True),  # waiting by the station
        ("b-pair-1", 55.0, 160.0, (54.6, 11.0), 0.0, False),  # two chatting at the café
        ("b-pair-2", 55.0, 160.0, (55.5, 11.4), 200.0, False),
        ("c-window", 160.0, 240.0, (129.9, 10.9), 100.0, True),  # at the pharmacy window
    )
    by: list[ScriptedPerson] = []
    for pid, t0, points, masked, seeded in walkers:
        # The middle waypoints move with the seed; the ends stay at doors and edges.
        path = [points[0], *(jitter(p) if seeded else p for p in points[1:-1]), points[-1]]
        by.append(_bystander(rng, pid, walk(t0, path, speed() if seeded else 1.3), masked))
    for pid, t0, t1, where, facing, masked in standing:
        by.append(_bystander(rng, pid, stand([Keyframe(t0, where)], t1, facing), masked))
    return DemoScenario(
        seed=seed,
        start_utc=start_utc,
        cameras=cameras,
        recordings=recordings,
        buildings=buildings,
        roads=roads,
        people=(patient, friend, *by),
        fps=fps,
    )


# --------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class FaceTexture:
    """A head photo to paste on a figure: image (H, W, 3) uint8, alpha (H, W) float32 in
    [0, 1], the eye midpoint (2,) and the eye-to-chin distance in its pixels, and the five
    YuNet landmarks (5, 2) in its pixels (for drawing masks in the right place)."""

    image_bgr: ImageBGR
    alpha: NDArray[np.float32]
    eye_mid_xy: F64
    eye_to_chin_px: float
    landmarks_xy: F64


def _soft_ellipse(
    shape_hw: tuple[int, int],
    centre: tuple[float, float],
    axes: tuple[float, float],
    feather_px: float,
) -> NDArray[np.float32]:
    h, w = shape_hw
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xs - centre[0]) / axes[0]) ** 2 + ((ys - centre[1]) / axes[1]) ** 2)
    edge = feather_px / max(axes)
    return np.asarray(np.clip((1 - r) / edge + 0.5, 0, 1), np.float32)


def _skimage_data(name: str) -> object:
    """A sample image shipped in scikit-image (a development dependency: only the demo
    and the tests render faces)."""
    from skimage import data

    return getattr(data, name)()


@cache
def _astronaut_texture() -> FaceTexture:
    """The patient: Eileen Collins' NASA portrait as shipped in scikit-image.

    Crop and landmarks were measured on ``astronaut()`` with YuNet (face box
    178-268 x 63-176); the alpha keeps the hair and face inside an ellipse and drops the
    plain studio background by its colour, so the hair outline is the photo's own."""
    full = cv2.cvtColor(np.asarray(_skimage_data("astronaut"), np.uint8), cv2.COLOR_RGB2BGR)
    x0, y0 = 140, 8
    img = np.ascontiguousarray(full[y0:196, x0:316])
    # Hair and cranium in one ellipse, the jaw in a narrower one: a single ellipse
    # down to the chin would take in the backdrop and the suit's collar beside it.
    cranium = _soft_ellipse((img.shape[0], img.shape[1]), (227 - x0, 92 - y0), (76, 76), 4.0)
    jaw = _soft_ellipse((img.shape[0], img.shape[1]), (222 - x0, 128 - y0), (48, 50), 3.0)
    alpha = np.maximum(cranium, jaw)
    background = np.array([200, 192, 198], np.float32)  # the studio backdrop, BGR
    dist = np.linalg.norm(img.astype(np.float32) - background, axis=2)
    keyed = np.clip((dist - 22) / 18, 0, 1).astype(np.float32)
    keyed = np.asarray(cv2.GaussianBlur(keyed, (5, 5), 1.2), np.float32)
    landmarks = np.array(
        [[200.1, 101.8], [247.1, 102.6], [220.4, 124.5], [198.6, 142.8], [239.7, 143.6]]
    ) - [x0, y0]
    eye_mid = landmarks[:2].mean(axis=0)
    return FaceTexture(img, alpha * keyed, eye_mid, 175.0 - y0 - eye_mid[1], landmarks)


@cache
def _grace_hopper_texture() -> FaceTexture:
    """The friend: Grace Hopper's official portrait as shipped in matplotlib.

    Landmarks measured with YuNet (face box 183-353 x 120-333); the ellipse takes the
    cap and face, whose outline then stands out from the figure's shoulders."""
    import matplotlib.cbook as cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    full = np.asarray(cv2.imread(str(path)), np.uint8)
    x0, y0 = 140, 10
    img = np.ascontiguousarray(full[y0:345, x0:385])
    alpha = _soft_ellipse((img.shape[0], img.shape[1]), (262 - x0, 176 - y0), (106, 158), 6.0)
    landmarks = np.array(
        [[227.1, 193.3], [307.8, 195.4], [266.5, 240.0], [228.5, 267.9], [302.2, 269.6]]
    ) - [x0, y0]
    eye_mid = landmarks[:2].mean(axis=0)
    return FaceTexture(img, alpha, eye_mid, 333.0 - y0 - eye_mid[1], landmarks)


@cache
def _lfw_faces() -> NDArray[np.float32]:
    return np.asarray(_skimage_data("lfw_subset"), np.float32)[:100]  # (100, 25, 25), faces only


@cache
def _lfw_texture(index: int, skin_bgr: BGR, hair_bgr: BGR) -> FaceTexture:
    """A bystander's head: a 25x25 LFW face (eyes near row 9, chin near row 24), scaled
    up, tinted to the skin colour and framed by hair and the head's outline."""
    scale = 2.0
    face = cv2.resize(
        _lfw_faces()[index % 100], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC
    )
    h, w = 84, 64
    cx, eye_y = 32.0, 40.0
    img = np.zeros((h, w, 3), np.float32)
    img[:] = hair_bgr
    skin = np.asarray(skin_bgr, np.float32)
    head = _soft_ellipse((h, w), (cx, eye_y + 3), (22, 30), 2.0)
    img = img * (1 - head[..., None]) + skin * head[..., None]
    # Tint the grey face to the skin tone; keep its own shading (eyes, brows, mouth).
    tinted = (face / max(float(face.mean()), 1e-3))[..., None] * skin
    fx0, fy0 = cx - 12 * scale, eye_y - 9 * scale
    canvas = np.zeros((h, w, 3), np.float32)
    fh, fw = face.shape
    canvas[round(fy0) : round(fy0) + fh, round(fx0) : round(fx0) + fw] = tinted
    inner = _soft_ellipse((h, w), (cx, eye_y + 6), (18, 24), 5.0)
    img = img * (1 - inner[..., None]) + canvas * inner[..., None]
    # A fringe: hair over the top of the forehead.
    fringe = _soft_ellipse((h, w), (cx, eye_y - 20), (24, 12), 2.0)
    img = img * (1 - fringe[..., None]) + np.asarray(hair_bgr, np.float32) * fringe[..., None]
    alpha = _soft_ellipse((h, w), (cx, eye_y - 2), (25, 36), 2.0)
    img_u8 = np.clip(img, 0, 255).astype(np.uint8)
    lm = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 5.0], [-4.0, 9.5], [4.0, 9.5]]) * scale
    lm = lm + np.array([cx, eye_y])
    return FaceTexture(img_u8, alpha, np.array([cx, eye_y]), 15.0 * scale, lm)


def _face_texture(person: ScriptedPerson) -> FaceTexture | None:
    if person.face == "astronaut":
        return _astronaut_texture()
    if person.face == "grace_hopper":
        return _grace_hopper_texture()
    if person.face == "lfw":
        return _lfw_texture(person.lfw_index, person.outfit.skin_bgr, person.outfit.hair_bgr)
    return None


# --------------------------------------------------------------------------- background


def _hash01(i: NDArray[np.int64], j: NDArray[np.int64], salt: int) -> F64:
    """A fixed pseudo-random value in [0, 1) per integer cell: slab and brick tones."""
    h = (i * 73856093) ^ (j * 19349663) ^ (salt * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return np.asarray(((h ^ (h >> 16)) & 0xFFFF) / 65536.0, dtype=np.float64)


def _ground_colour(xy: F64, roads: Sequence[Road]) -> F64:
    """(N, 2) floor metres -> (N, 3) BGR float: 0.6 m slabs in running bond with grout;
    asphalt with a dashed centre line on roads."""
    x, y = xy[:, 0], xy[:, 1]
    row = np.floor(y / 0.6).astype(np.int64)
    xs = x + 0.3 * (row % 2)
    col = np.floor(xs / 0.6).astype(np.int64)
    tone = 0.9 + 0.2 * _hash01(col, row, 1)
    fx, fy = xs / 0.6 - col, y / 0.6 - row
    grout = (np.minimum(fx, 1 - fx) < 0.03) | (np.minimum(fy, 1 - fy) < 0.03)
    colour = np.array([150.0, 160.0, 168.0])[None, :] * tone[:, None]
    colour[grout] *= 0.72
    for road in roads:
        on = (x >= road.x_m[0]) & (x <= road.x_m[1]) & (y >= road.y_m[0]) & (y <= road.y_m[1])
        grain = 0.93 + 0.14 * _hash01(
            np.floor(x * 20).astype(np.int64), np.floor(y * 20).astype(np.int64), 2
        )
        colour[on] = np.array([72.0, 74.0, 78.0]) * grain[on, None]
        mid = (road.y_m[0] + road.y_m[1]) / 2
        dash = on & (np.abs(y - mid) < 0.07) & ((x % 6.0) < 3.0)
        colour[dash] = (210.0, 215.0, 220.0)
        kerb = on & (np.abs(y - road.y_m[1]) < 0.15)
        colour[kerb] = (175.0, 180.0, 185.0)
    return colour


def _facade_colour(b: Building, s: F64, z: F64, normal_shade: float) -> F64:
    """(N,) along-facade and height metres -> (N, 3) BGR float: plaster, windows on the
    upper floors, a shopfront with a sign band on the ground floor."""
    base = np.asarray(b.facade_bgr, np.float64)
    grain = 0.95 + 0.1 * _hash01(
        np.floor(s * 8).astype(np.int64), np.floor(z * 8).astype(np.int64), 3
    )
    colour = base[None, :] * grain[:, None]
    upper = z > 3.6
    fz = np.mod(z - 3.6, 3.2)
    fs = np.mod(s, 2.8)
    window = upper & (fz > 0.8) & (fz < 2.3) & (fs > 0.7) & (fs < 2.0) & (z < b.height_m - 0.6)
    frame = upper & (fz > 0.7) & (fz < 2.4) & (fs > 0.6) & (fs < 2.1) & ~window
    colour[frame] = base * 0.55
    glass = np.array([95.0, 80.0, 60.0]) + 40 * (fz[:, None] - 0.8) / 1.5
    colour[window] = glass[window]
    if b.shopfront_bgr is not None:
        fs5 = np.mod(s, 5.0)
        shop = (z > 0.35) & (z < 2.7) & (fs5 > 0.5) & (fs5 < 4.5)
        shop_glass = np.array([105.0, 95.0, 80.0]) + 50 * (2.7 - z[:, None]) / 2.4
        colour[shop] = shop_glass[shop]
        sign = (z > 2.95) & (z < 3.45)
        colour[sign] = b.shopfront_bgr
    else:
        door = (z < 2.6) & (np.abs(np.mod(s, 12.0) - 6.0) < 1.1)
        colour[door] = base * 0.35
    return colour * normal_shade


def _ray_box(origin: F64, inv_rays: F64, b: Building) -> tuple[F64, F64]:
    """Slab test of rays (N, 3 inverse directions) against a building: entry and exit
    ray parameters (N,) each; a ray hits when entry <= exit and entry > 0."""
    lo = np.array([b.x_m[0], b.y_m[0], 0.0])
    hi = np.array([b.x_m[1], b.y_m[1], b.height_m])
    with np.errstate(invalid="ignore"):
        t0 = (lo - origin) * inv_rays
        t1 = (hi - origin) * inv_rays
    tmin = np.nan_to_num(np.minimum(t0, t1), nan=-np.inf)
    tmax = np.nan_to_num(np.maximum(t0, t1), nan=np.inf)
    return tmin, tmax


@dataclass(frozen=True)
class Background:
    """A camera's empty scene: image (H, W, 3) uint8 and, per pixel, the depth in metres
    (along the optical axis) of the building surface seen there, inf where the pixel
    shows floor or sky: a person farther away than that is behind the building."""

    image_bgr: ImageBGR
    occluder_depth_m: NDArray[np.float32]


def render_background(
    camera: CameraSpec,
    buildings: Sequence[Building],
    roads: Sequence[Road],
    supersample: int = 2,
) -> Background:
    """The empty scene as the camera sees it, ray-cast per pixel (``supersample`` x
    ``supersample`` rays, averaged, so edges are anti-aliased)."""
    w, h = camera.image_size_px
    ss = supersample
    us, vs = np.meshgrid((np.arange(w * ss) + 0.5) / ss, (np.arange(h * ss) + 0.5) / ss)
    # Rays are scaled so their optical-axis component is 1: the ray parameter t is then
    # the depth along the axis, the quantity people are sorted and hidden by.
    rays = camera._rays(np.column_stack([us.ravel(), vs.ravel()]))
    origin = camera.centre_xyz_m
    n = len(rays)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / rays
        t_ground = np.where(rays[:, 2] < 0, -origin[2] / rays[:, 2], np.inf)
    best_t = t_ground.copy()
    hit_building = np.full(n, -1)
    hit_axis = np.zeros(n, dtype=np.int64)
    hit_sign = np.zeros(n)
    # Only buildings that a coarse grid of rays hits can show; the full test of every
    # building against every ray is most of the cost.
    coarse = np.arange(0, n, 37)
    visible = []
    for k, b in enumerate(buildings):
        tmin, tmax = _ray_box(origin, inv[coarse], b)
        t_near, t_far = tmin.max(axis=1), tmax.min(axis=1)
        if np.any((t_near <= t_far) & (t_far > 0)):
            visible.append(k)
    for k in visible:
        tmin, tmax = _ray_box(origin, inv, buildings[k])
        t_near = tmin.max(axis=1)
        t_far = tmax.min(axis=1)
        hit = (t_near <= t_far) & (t_near > 0) & (t_near < best_t)
        best_t[hit] = t_near[hit]
        hit_building[hit] = k
        axis = tmin.argmax(axis=1)
        hit_axis[hit] = axis[hit]
        hit_sign[hit] = -np.sign(rays[hit, axis[hit]])
    # Sky: a pale gradient with elevation.
    elev = rays[:, 2] / np.linalg.norm(rays, axis=1)
    colour = np.empty((n, 3), np.float32)
    colour[:] = np.array([225.0, 205.0, 185.0]) - 60 * np.clip(elev, 0, 1)[:, None]
    ground = np.isfinite(best_t) & (hit_building < 0)
    p = origin + np.where(np.isfinite(best_t), best_t, 0.0)[:, None] * rays
    colour[ground] = _ground_colour(p[ground, :2], roads)
    # Facades: light from the south-west, so south faces are brightest.
    shade_by_face = {(0, -1.0): 0.8, (0, 1.0): 0.7, (1, -1.0): 1.0, (1, 1.0): 0.65, (2, 1.0): 0.6}
    for k in visible:
        for (axis_k, sign_k), shade in shade_by_face.items():
            sel = (hit_building == k) & (hit_axis == axis_k) & (hit_sign == sign_k)
            if not sel.any():
                continue
            s = p[sel, 1] if axis_k == 0 else p[sel, 0]
            colour[sel] = _facade_colour(buildings[k], s, p[sel, 2], shade)
    # Haze: far surfaces fade towards the sky's colour, as through real air.
    fog = (1 - np.exp(-np.nan_to_num(best_t, posinf=1e4) / 250.0)).astype(np.float32)
    colour = colour * (1 - fog[:, None]) + np.array([215, 205, 195], np.float32) * fog[:, None]
    # Soft contact shadow along the foot of every wall.
    if ground.any() and visible:
        gx, gy = p[ground, 0], p[ground, 1]
        d = np.full(len(gx), np.inf)
        for k in visible:
            b = buildings[k]
            dx = np.maximum(np.maximum(b.x_m[0] - gx, gx - b.x_m[1]), 0)
            dy = np.maximum(np.maximum(b.y_m[0] - gy, gy - b.y_m[1]), 0)
            d = np.minimum(d, np.hypot(dx, dy))
        colour[ground] *= (1 - 0.25 * np.exp(-d / 0.8)).astype(np.float32)[:, None]
    full: NDArray[np.float32] = colour.reshape(h * ss, w * ss, 3)
    img = np.asarray(cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA), np.float32)
    occluder = np.where(hit_building >= 0, best_t, np.inf).astype(np.float32)
    occluder = occluder.reshape(h, ss, w, ss).min(axis=(1, 3))  # nearest of the subpixels
    return Background(np.clip(img + 0.5, 0, 255).astype(np.uint8), occluder)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class _Capsule:
    """A limb: two circles (centres px, radii px) and their tangent hull."""

    p0: F64
    p1: F64
    r0_px: float
    r1_px: float
    colour: BGR


@dataclass(frozen=True)
class _Hull:
    """The convex hull of projected points (K, 2) px: torso, pelvis."""

    points_px: F64
    colour: BGR


HeadView = Literal["front", "side", "back"]


@dataclass(frozen=True)
class _Head:
    centre_px: F64
    half_w_px: float
    half_h_px: float
    roll_deg: float
    view: HeadView
    cos_to_camera: float
    turn_sign: float
    """+1 when the face turns towards image-right, -1 towards image-left."""


@dataclass(frozen=True)
class _Figure:
    person: ScriptedPerson
    depth_m: float
    parts: tuple[_Capsule | _Hull, ...]
    head: _Head
    shadow_px: F64
    masked: bool

    @property
    def box_xyxy(self) -> F64:
        """Box of everything drawn, (4,) px, not clipped to the frame."""
        lo, hi = [], []
        for part in self.parts:
            if isinstance(part, _Capsule):
                for p, r in ((part.p0, part.r0_px), (part.p1, part.r1_px)):
                    lo.append(p - r)
                    hi.append(p + r)
            else:
                lo.append(part.points_px.min(axis=0))
                hi.append(part.points_px.max(axis=0))
        hd = self.head
        ext = np.array([hd.half_w_px, hd.half_h_px]) * 1.05
        lo.append(hd.centre_px - ext)
        hi.append(hd.centre_px + ext)
        return np.concatenate([np.min(lo, axis=0), np.max(hi, axis=0)])


# Body proportions as fractions of height (adult anthropometric averages).
_HIP_Z, _SHOULDER_Z, _ANKLE_Z = 0.53, 0.80, 0.045
_THIGH, _SHIN, _FOOT = 0.245, 0.245, 0.11
_UPPER_ARM, _FOREARM, _HAND = 0.186, 0.146, 0.07
_HIP_HALF_W, _SHOULDER_HALF_W = 0.05, 0.1


def _shade(colour: BGR, factor: float) -> BGR:
    b, g, r = (min(255, max(0, int(c * factor))) for c in colour)
    return (b, g, r)


def _build_figure(
    person: ScriptedPerson, pose: Pose, camera: CameraSpec, t_s: float
) -> _Figure | None:
    """Pose the skeleton, project it, and lay out the parts back to front."""
    H = person.height_m  # noqa: N806 (stature, the unit of every body proportion)
    fwd = np.array([math.cos(pose.heading_rad), math.sin(pose.heading_rad)])
    left = np.array([-fwd[1], fwd[0]])
    amp = 0.42 if pose.walking else 0.0  # hip swing, radians (~24 degrees)
    joints: dict[str, tuple[float, float, float]] = {}  # local: forward, left, up (metres)
    for side, name in ((1.0, "l"), (-1.0, "r")):
        phi = pose.gait_phase_rad + (0.0 if side > 0 else math.pi)
        theta = amp * math.sin(phi)
        knee_flex = (0.1 + 0.9 * max(0.0, math.cos(phi)) ** 2) if pose.walking else 0.03
        hip = np.array([0.0, side * _HIP_HALF_W * H, _HIP_Z * H])
        knee = hip + _THIGH * H * np.array([math.sin(theta), 0.0, -math.cos(theta)])
        shin_a = theta - knee_flex
        ankle = knee + _SHIN * H * np.array([math.sin(shin_a), side * 0.004, -math.cos(shin_a)])
        toe = ankle + np.array([_FOOT * H, 0.0, -0.02 * H])
        psi = -0.75 * amp * math.sin(phi) if pose.walking else 0.04
        elbow_flex = 0.35 if pose.walking else 0.12
        shoulder = np.array([0.0, side * _SHOULDER_HALF_W * H, _SHOULDER_Z * H])
        elbow = shoulder + _UPPER_ARM * H * np.array([math.sin(psi), side * 0.12, -math.cos(psi)])
        a2 = psi + elbow_flex
        wrist = elbow + _FOREARM * H * np.array([math.sin(a2), side * 0.05, -math.cos(a2)])
        hand = wrist + _HAND * H * np.array([math.sin(a2), 0.0, -math.cos(a2)])
        for key, val in (
            ("hip", hip),
            ("knee", knee),
            ("ankle", ankle),
            ("toe", toe),
            ("shoulder", shoulder),
            ("elbow", elbow),
            ("wrist", wrist),
            ("hand", hand),
        ):
            joints[f"{key}_{name}"] = (float(val[0]), float(val[1]), float(val[2]))
    # The stance foot carries the body: lift or lower everything so it touches the floor.
    bob = _ANKLE_Z * H - min(joints["ankle_l"][2], joints["ankle_r"][2])
    names = list(joints)
    local = np.array([joints[k] for k in names]) + np.array([0.0, 0.0, bob])
    head_local = np.array([[0.0, 0.0, H * (1 - HEAD_FRACTION / 2) + bob]])

    def to_world(p: F64) -> F64:
        xy = pose.xy_m + p[:, :1] * fwd + p[:, 1:2] * left
        return np.column_stack([xy, p[:, 2]])

    uv_all, depth_all = camera.project(to_world(np.vstack([local, head_local])))
    if not np.all(depth_all > 0.3):
        return None
    uv = {k: uv_all[i] for i, k in enumerate(names)}
    dep = {k: float(depth_all[i]) for i, k in enumerate(names)}
    f = camera.f_px
    o = person.outfit

    def px(diam_frac: float, depth: float) -> float:
        return f * diam_frac * H / 2 / depth

    def cap(a: str, b: str, d0: float, d1: float, colour: BGR) -> _Capsule:
        return _Capsule(uv[a], uv[b], px(d0, dep[a]), px(d1, dep[b]), colour)

    def hull(levels: Sequence[tuple[float, float, float]], colour: BGR) -> _Hull:
        pts = [
            (a * d * H, b * w * H, z * H + bob)
            for z, w, d in levels
            for a in (-1.0, 1.0)
            for b in (-1.0, 1.0)
        ]
        p, _ = camera.project(to_world(np.asarray(pts)))
        return _Hull(p, colour)

    legs = {
        s: [
            cap(f"hip_{s}", f"knee_{s}", 0.105, 0.076, o.trousers_bgr),
            cap(f"knee_{s}", f"ankle_{s}", 0.074, 0.058, o.trousers_bgr),
            cap(f"ankle_{s}", f"toe_{s}", 0.05, 0.045, o.shoes_bgr),
        ]
        for s in ("l", "r")
    }
    sleeve = o.skin_bgr if o.short_sleeves else o.shirt_bgr
    arms = {
        s: [
            cap(f"shoulder_{s}", f"elbow_{s}", 0.066, 0.054, o.shirt_bgr),
            cap(f"elbow_{s}", f"wrist_{s}", 0.05, 0.038, sleeve),
            cap(f"wrist_{s}", f"hand_{s}", 0.042, 0.036, o.skin_bgr),
        ]
        for s in ("l", "r")
    }
    pelvis = hull(((0.57, 0.1, 0.064), (0.45, 0.098, 0.06)), o.trousers_bgr)
    torso = hull(
        (
            (0.856, 0.042, 0.035),
            (0.832, 0.08, 0.048),
            (0.8, 0.108, 0.055),
            (0.72, 0.104, 0.07),
            (0.62, 0.09, 0.064),
            (0.52, 0.1, 0.066),
        ),
        o.shirt_bgr,
    )
    shoulders = cap("shoulder_l", "shoulder_r", 0.07, 0.07, o.shirt_bgr)
    neck_top = np.array([[0.0, 0.0, H * (1 - HEAD_FRACTION) + bob + 0.015 * H]])
    neck_uv, neck_dep = camera.project(to_world(neck_top))
    neck_base_uv = (uv["shoulder_l"] + uv["shoulder_r"]) / 2
    neck = _Capsule(
        neck_base_uv,
        neck_uv[0],
        px(0.08, float(neck_dep[0])),
        px(0.072, float(neck_dep[0])),
        o.skin_bgr,
    )

    near = "l" if dep["hip_l"] < dep["hip_r"] else "r"
    far = "r" if near == "l" else "l"
    torso_depth = (dep["hip_l"] + dep["hip_r"]) / 2
    front_arms = [s for s in ("l", "r") if dep[f"elbow_{s}"] < torso_depth - 0.02 * H]
    back_arms = [s for s in ("l", "r") if s not in front_arms]
    parts: list[_Capsule | _Hull] = []
    for s in back_arms:
        parts += arms[s]
    parts += legs[far]
    parts.append(pelvis)
    parts += legs[near]
    # Neck and shoulder line first: the collar and the shirt then overlap them, as clothes do.
    parts += [neck, shoulders, torso]
    for s in front_arms:
        parts += arms[s]

    head_uv, head_depth = uv_all[-1], float(depth_all[-1])
    up_uv, _ = camera.project(to_world(head_local + np.array([0.0, 0.0, 0.1])))
    up = up_uv[0] - head_uv
    roll_deg = math.degrees(math.atan2(up[0], -up[1]))
    to_cam = camera.centre_xyz_m[:2] - pose.xy_m
    cos_a = float(fwd @ to_cam / max(float(np.linalg.norm(to_cam)), 1e-9))
    ahead_uv, _ = camera.project(to_world(np.array([[0.3, 0.0, head_local[0, 2]]])))
    turn = float(np.sign(ahead_uv[0, 0] - head_uv[0])) or 1.0
    view: HeadView = (
        "front" if cos_a > FACE_FRONT_COS else "back" if cos_a < -FACE_FRONT_COS else "side"
    )
    head = _Head(
        head_uv,
        f * 0.05 * H / head_depth,
        f * (HEAD_FRACTION / 2) * H / head_depth,
        roll_deg,
        view,
        cos_a,
        turn,
    )
    ring = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    shadow_xy = pose.xy_m + 0.3 * np.column_stack([np.cos(ring), np.sin(ring)])
    shadow_px = camera.floor_to_image(shadow_xy)
    return _Figure(person, torso_depth, tuple(parts), head, shadow_px, person.masked_at(t_s))


_RING = np.stack(
    [
        np.cos(np.linspace(0, 2 * math.pi, 14, endpoint=False)),
        np.sin(np.linspace(0, 2 * math.pi, 14, endpoint=False)),
    ],
    axis=1,
)


def _part_polys(part: _Capsule | _Hull, grows: F64, shifts_px: F64) -> list[NDArray[np.int32]]:
    """Outlines of a part at several sizes (L,) and offsets (L, 2) px, as int polygons in
    1/8 px (cv2's ``shift=3``), all layers in one vectorised pass (this runs ~300 times
    per frame)."""
    g = grows[:, None, None]
    if isinstance(part, _Capsule):
        pts = np.concatenate(
            [part.p0 + _RING * (part.r0_px * g), part.p1 + _RING * (part.r1_px * g)], axis=1
        )
    else:
        # A torso narrows sideways only: lit like a vertical cylinder, as a body is
        # under daylight from above and the side.
        centre = part.points_px.mean(axis=0)
        rel = part.points_px - centre
        scale = np.stack([grows, 1 - 0.12 * (1 - grows)], axis=1)[:, None, :]
        pts = centre + rel[None] * scale
    pts = np.round((pts + shifts_px[:, None, :]) * 8).astype(np.int32)
    return [np.asarray(cv2.convexHull(layer), np.int32).reshape(-1, 2) for layer in pts]


# (size factor, shift towards the light as a fraction of the part's radius, brightness):
# nested layers that the frame's blur melts into a smooth rim-to-highlight gradient.
_SHADING_LAYERS = (
    (1.0, 0.0, 0.6),
    (0.86, 0.12, 0.76),
    (0.7, 0.22, 0.9),
    (0.5, 0.32, 1.02),
    (0.28, 0.42, 1.12),
)
_LAYER_GROW = np.array([x[0] for x in _SHADING_LAYERS])
_LAYER_TOWARD = np.array([x[1] for x in _SHADING_LAYERS])
_LAYER_BRIGHTNESS = tuple(x[2] for x in _SHADING_LAYERS)


def _paint_part(img: ImageBGR, part: _Capsule | _Hull) -> None:
    """A part shaded as a rounded solid lit from the upper left, so limbs and torso read
    as volumes rather than flat strokes."""
    if isinstance(part, _Capsule):
        size = (part.r0_px + part.r1_px) / 2
    else:
        size = float(np.ptp(part.points_px[:, 0])) / 2
    shifts = _LAYER_TOWARD[:, None] * (np.array([-0.94, -0.34]) * size)
    for poly, colour_factor in zip(
        _part_polys(part, _LAYER_GROW, shifts), _LAYER_BRIGHTNESS, strict=True
    ):
        cv2.fillPoly(img, [poly], _shade(part.colour, colour_factor), cv2.LINE_AA, shift=3)


def _paint_head(img: ImageBGR, fig: _Figure) -> None:
    hd = fig.head
    o = fig.person.outfit
    centre = (round(hd.centre_px[0] * 8), round(hd.centre_px[1] * 8))
    axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
    texture = _face_texture(fig.person)
    if hd.view == "front" and texture is not None:
        _paste_face(img, fig, texture)
        return
    cv2.ellipse(img, centre, axes, hd.roll_deg, 0, 360, o.hair_bgr, -1, cv2.LINE_AA, shift=3)
    if hd.view == "back":
        return
    # Side or plain front: the face's skin towards where the head turns.
    off = hd.turn_sign * (1 - max(0.0, hd.cos_to_camera)) * 0.3 * hd.half_w_px
    sc = (round((hd.centre_px[0] + off) * 8), round((hd.centre_px[1] + 0.12 * hd.half_h_px) * 8))
    saxes = (max(1, round(hd.half_w_px * 0.78 * 8)), max(1, round(hd.half_h_px * 0.84 * 8)))
    cv2.ellipse(img, sc, saxes, hd.roll_deg, 0, 360, o.skin_bgr, -1, cv2.LINE_AA, shift=3)
    if fig.masked:
        mc = (sc[0] + round(0.15 * off * 8), sc[1] + round(0.45 * hd.half_h_px * 8))
        maxes = (max(1, round(hd.half_w_px * 0.6 * 8)), max(1, round(hd.half_h_px * 0.35 * 8)))
        cv2.ellipse(
            img, mc, maxes, hd.roll_deg, 0, 360, fig.person.mask_bgr, -1, cv2.LINE_AA, shift=3
        )


def _paste_face(img: ImageBGR, fig: _Figure, tex: FaceTexture) -> None:
    """Composite the face photo onto the head: scaled so eye-to-chin is half the head
    height, squeezed and shifted sideways as the head turns away, rolled with the body."""
    hd = fig.head
    o = fig.person.outfit
    cos_a = hd.cos_to_camera
    sin_a = math.sqrt(max(0.0, 1 - cos_a**2))
    # Hair colour first: the back of the head shows beside a turned face.
    if cos_a < 0.97:
        centre = (round(hd.centre_px[0] * 8), round(hd.centre_px[1] * 8))
        axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
        cv2.ellipse(img, centre, axes, hd.roll_deg, 0, 360, o.hair_bgr, -1, cv2.LINE_AA, shift=3)
    scale = hd.half_h_px / tex.eye_to_chin_px
    image, alpha, eye_mid, landmarks = tex.image_bgr, tex.alpha, tex.eye_mid_xy, tex.landmarks_xy
    pre = 1.0
    if scale < 0.6:  # shrink with area averaging first: warpAffine alone would alias
        pre = min(1.0, scale * 1.5)
        image = np.asarray(cv2.resize(image, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA))
        alpha = np.asarray(cv2.resize(alpha, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA))
        eye_mid, landmarks = eye_mid * pre, landmarks * pre
    s = scale / pre
    squeeze = 0.6 + 0.4 * cos_a
    roll = math.radians(hd.roll_deg)
    rot = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]])
    lin = rot @ np.diag([s * squeeze, s])
    target = hd.centre_px + rot @ np.array([hd.turn_sign * sin_a * 0.3 * hd.half_w_px, 0.0])
    th, tw = image.shape[:2]
    corners = np.array([[0, 0], [tw, 0], [0, th], [tw, th]], np.float64) - eye_mid
    mapped = corners @ lin.T + target
    h, w = img.shape[:2]
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int) + 1
    x0c, y0c, x1c, y1c = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1c <= x0c or y1c <= y0c:
        return
    m = np.hstack([lin, (target - lin @ eye_mid - [x0c, y0c])[:, None]])
    size = (x1c - x0c, y1c - y0c)
    warped = np.asarray(
        cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        np.float32,
    )
    a = np.asarray(cv2.warpAffine(alpha, m, size, flags=cv2.INTER_LINEAR), np.float32)[..., None]
    roi = img[y0c:y1c, x0c:x1c]
    blended = np.clip(roi.astype(np.float32) * (1 - a) + warped * a + 0.5, 0, 255).astype(np.uint8)
    if fig.masked:
        lm_roi = landmarks @ m[:, :2].T + m[:, 2]
        blended = draw_mask(
            blended, lm_roi.astype(np.float32), fig.person.mask_style, fig.person.mask_bgr
        )
    roi[:] = blended


def _face_box(fig: _Figure) -> F64 | None:
    """Where a face detector should find the face, (4,) px; None when none shows."""
    hd = fig.head
    if hd.view != "front" or _face_texture(fig.person) is None:
        return None
    squeeze = 0.6 + 0.4 * hd.cos_to_camera
    sin_a = math.sqrt(max(0.0, 1 - hd.cos_to_camera**2))
    cx = hd.centre_px[0] + hd.turn_sign * sin_a * 0.3 * hd.half_w_px
    # A detector's face box runs from the brows to the chin and cheek to cheek:
    # about 0.9 of the head's height below the crown and 0.75 of its width.
    half_w = 0.78 * hd.half_w_px * squeeze
    top = hd.centre_px[1] - 0.55 * hd.half_h_px
    bottom = hd.centre_px[1] + hd.half_h_px
    return np.array([cx - half_w, top, cx + half_w, bottom])


def _paint_shadow(img: ImageBGR, fig: _Figure) -> None:
    poly = fig.shadow_px
    if not np.all(np.isfinite(poly)):
        return
    h, w = img.shape[:2]
    x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 2, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    mask = np.zeros(roi.shape[:2], np.float32)
    pts = np.round((poly - [x0, y0]) * 8).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1.0, cv2.LINE_AA, shift=3)
    mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(1.0, (y1 - y0) / 6)), np.float32)
    roi[:] = (roi.astype(np.float32) * (1 - 0.4 * mask[..., None])).astype(np.uint8)


def _paint_figure(img: ImageBGR, fig: _Figure) -> None:
    _paint_shadow(img, fig)
    for part in fig.parts:
        _paint_part(img, part)
    _paint_head(img, fig)


def _paint_label(label: NDArray[np.uint8], fig: _Figure, value: int, offset: F64) -> None:
    """The figure's silhouette in one value, shifted by ``offset`` px (visibility)."""
    one, shift = np.ones(1), offset[None, :]
    for part in fig.parts:
        cv2.fillPoly(label, _part_polys(part, one, shift), value, cv2.LINE_8, shift=3)
    hd = fig.head
    centre = (round((hd.centre_px[0] + offset[0]) * 8), round((hd.centre_px[1] + offset[1]) * 8))
    axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
    cv2.ellipse(label, centre, axes, hd.roll_deg, 0, 360, value, -1, cv2.LINE_8, shift=3)


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class FigureTruth:
    """What was drawn for one person in one frame (for measuring detectors on it).

    box_xyxy: (4,) px box of the whole figure, not clipped to the frame;
    visible_fraction: share of the figure's pixels inside the frame and not hidden
    behind nearer people; face_box_xyxy: (4,) px where the face photo shows (None when
    the head is seen from the side or behind); face_width_px: its width (0 if none).
    """

    person_id: str
    role: Role
    box_xyxy: F64
    depth_m: float
    visible_fraction: float
    face_box_xyxy: F64 | None
    masked: bool

    @property
    def height_px(self) -> float:
        return float(self.box_xyxy[3] - self.box_xyxy[1])

    @property
    def face_width_px(self) -> float:
        b = self.face_box_xyxy
        return 0.0 if b is None else float(b[2] - b[0])


@dataclass(frozen=True)
class RenderedFrame:
    t_s: float
    """Scenario time, seconds from the scenario's start."""
    image_bgr: ImageBGR
    figures: tuple[FigureTruth, ...]


class CameraRenderer:
    """Draws one camera's frames: the background once, then people, blur and noise."""

    def __init__(self, scenario: DemoScenario, camera_id: str) -> None:
        self.scenario = scenario
        self.camera = scenario.camera(camera_id)
        self.background = render_background(self.camera, scenario.buildings, scenario.roads)
        cam_index = [c.camera_id for c in scenario.cameras].index(camera_id)
        rng = np.random.default_rng([scenario.seed, cam_index])
        h, w = self.background.image_bgr.shape[:2]
        # A few noise fields, shifted per frame: drawing fresh Gaussian noise for every
        # frame would cost more than the rest of the frame together. Kept as separate
        # positive and negative parts so that OpenCV's saturating add and subtract apply
        # them to uint8 directly.
        noise = np.round(rng.normal(0.0, scenario.noise_sigma, size=(4, h + 32, w + 32, 1)))
        noise = np.repeat(noise, 3, axis=3)  # grey noise: luminance, like a sensor's
        self._noise_pos = np.clip(noise, 0, 255).astype(np.uint8)
        self._noise_neg = np.clip(-noise, 0, 255).astype(np.uint8)
        self._noise_seed = (scenario.seed, cam_index)

    def figures_at(self, t_s: float) -> list[_Figure]:
        """People in front of the camera at ``t_s``, far to near."""
        figs = []
        w, h = self.camera.image_size_px
        for person in self.scenario.people:
            pose = person.pose_at(t_s)
            if pose is None:
                continue
            fig = _build_figure(person, pose, self.camera, t_s)
            if fig is None:
                continue
            box = fig.box_xyxy
            if box[2] < 0 or box[0] > w or box[3] < 0 or box[1] > h:
                continue
            figs.append(fig)
        figs.sort(key=lambda f: -f.depth_m)
        return figs

    def _hidden(self, fig: _Figure) -> tuple[tuple[slice, slice], NDArray[np.bool_]] | None:
        """The figure's box in the frame and which of its pixels a building hides (None
        when nothing does, the common case, so painting needs no compositing)."""
        h, w = self.background.occluder_depth_m.shape
        box = fig.box_xyxy
        x0, y0 = max(int(box[0]) - 1, 0), max(int(box[1]) - 1, 0)
        x1, y1 = min(int(box[2]) + 2, w), min(int(box[3]) + 2, h)
        if x1 <= x0 or y1 <= y0:
            return None
        roi = (slice(y0, y1), slice(x0, x1))
        hidden = self.background.occluder_depth_m[roi] < fig.depth_m
        return (roi, hidden) if hidden.any() else None

    def render(self, t_s: float, frame_index: int, with_truth: bool = False) -> RenderedFrame:
        """The frame at scenario time ``t_s``; ``with_truth`` also measures each figure's
        visible fraction (a silhouette raster per figure: a few ms more)."""
        img = self.background.image_bgr.copy()
        figs = self.figures_at(t_s)
        for fig in figs:
            hidden = self._hidden(fig)
            saved = img[hidden[0]].copy() if hidden is not None else None
            _paint_figure(img, fig)
            if hidden is not None and saved is not None:
                img[hidden[0]][hidden[1]] = saved[hidden[1]]
        # Lens and sensor: a slight blur, then noise (H.264 adds its own softness).
        img = np.asarray(cv2.GaussianBlur(img, (3, 3), 0.65), np.uint8)
        rng = np.random.default_rng([*self._noise_seed, frame_index])
        k, dy, dx = int(rng.integers(4)), int(rng.integers(32)), int(rng.integers(32))
        h, w = img.shape[:2]
        img = np.asarray(cv2.add(img, self._noise_pos[k, dy : dy + h, dx : dx + w]), np.uint8)
        img = np.asarray(cv2.subtract(img, self._noise_neg[k, dy : dy + h, dx : dx + w]), np.uint8)
        truths = self._truths(figs, h, w) if with_truth else []
        return RenderedFrame(t_s, img, tuple(truths))

    def _truths(self, figs: list[_Figure], h: int, w: int) -> list[FigureTruth]:
        label = np.zeros((h, w), np.uint8)
        for i, fig in enumerate(figs):
            hidden = self._hidden(fig)
            saved = label[hidden[0]].copy() if hidden is not None else None
            _paint_label(label, fig, i + 1, np.zeros(2))
            if hidden is not None and saved is not None:
                label[hidden[0]][hidden[1]] = saved[hidden[1]]
        counts = np.bincount(label.ravel(), minlength=len(figs) + 1)
        out = []
        for i, fig in enumerate(figs):
            box = fig.box_xyxy
            x0, y0 = np.floor(box[:2]).astype(int) - 2
            x1, y1 = np.ceil(box[2:]).astype(int) + 2
            alone = np.zeros((y1 - y0, x1 - x0), np.uint8)
            _paint_label(alone, fig, 1, -np.array([x0, y0], np.float64))
            area = max(int(alone.sum()), 1)
            out.append(
                FigureTruth(
                    fig.person.person_id,
                    fig.person.role,
                    box,
                    fig.depth_m,
                    min(1.0, int(counts[i + 1]) / area),
                    _face_box(fig),
                    fig.masked,
                )
            )
        return out


# --------------------------------------------------------------------------- videos


@dataclass(frozen=True)
class RenderedVideo:
    camera_id: str
    path: Path
    start_utc: datetime
    """Wall-clock time of the first frame (also in the file's ``creation_time`` tag)."""
    duration_s: float
    frame_count: int
    calibration_points: CalibrationPoints
    render_s: float
    """Seconds it took to render and encode."""


def encode_h264(
    path: Path,
    fps: float,
    size_px: tuple[int, int],
    frames: Iterable[ImageBGR],
    creation_time: datetime | None = None,
) -> None:
    """Write BGR ``frames`` of ``size_px`` (width, height) as an H.264 mp4 at ``path``:
    frame ``i`` is presented at ``i / fps`` seconds (millisecond time base), and
    ``creation_time`` goes into the file's tag."""
    import av

    time_base = Fraction(1, 1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        if creation_time is not None:
            container.metadata["creation_time"] = creation_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stream = container.add_stream(
            "libx264",
            rate=Fraction(fps).limit_denominator(1000),
            options={"preset": "veryfast", "crf": "24", "g": str(round(fps * 4))},
        )
        stream.width, stream.height = size_px
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        for i, image in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(image, format="bgr24")
            vf.pts = round(i / fps * 1000)
            vf.time_base = time_base
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def render_video(
    scenario: DemoScenario,
    camera_id: str,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> RenderedVideo:
    """One camera's recording as an H.264 mp4 at ``path``; frame ``i`` is presented at
    ``i / fps`` seconds (millisecond time base)."""

    t0 = time.perf_counter()
    renderer = CameraRenderer(scenario, camera_id)
    rec = scenario.recording(camera_id)
    n_frames = math.floor((rec.t_end_s - rec.t_start_s) * scenario.fps)
    start_utc = scenario.start_utc + timedelta(seconds=rec.t_start_s)

    def frames() -> Iterator[ImageBGR]:
        for i in range(n_frames):
            yield renderer.render(rec.t_start_s + i / scenario.fps, i).image_bgr
            if progress is not None:
                progress(i + 1, n_frames)

    encode_h264(path, scenario.fps, renderer.camera.image_size_px, frames(), start_utc)
    return RenderedVideo(
        camera_id,
        path,
        start_utc,
        n_frames / scenario.fps,
        n_frames,
        calibration_points(renderer.camera),
        time.perf_counter() - t0,
    )


def render_videos(
    scenario: DemoScenario,
    out_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int = 1,
) -> list[RenderedVideo]:
    """Every camera's recording as ``out_dir/<camera_id>.mp4``, in camera order.

    ``workers`` > 1 renders cameras in parallel processes (one camera per process; the
    result is identical). ``progress(camera_id, frames_done, frames_total)`` is called
    after every frame with one worker, once per finished video with several."""
    paths = [out_dir / f"{cam.camera_id}.mp4" for cam in scenario.cameras]
    if workers > 1 and len(scenario.cameras) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": a forked child would inherit the parent's thread pools (ONNX Runtime,
        # OpenCV) in whatever state they were, a known source of deadlocks.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(paths)), mp_context=context) as pool:
            futures = [
                pool.submit(render_video, scenario, cam.camera_id, path)
                for cam, path in zip(scenario.cameras, paths, strict=True)
            ]
            videos = []
            for future in futures:
                video = future.result()
                if progress is not None:
                    progress(video.camera_id, video.frame_count, video.frame_count)
                videos.append(video)
            return videos
    videos = []
    for cam, path in zip(scenario.cameras, paths, strict=True):
        cb: Callable[[int, int], None] | None = None
        if progress is not None:
            cb = functools.partial(progress, cam.camera_id)
        videos.append(render_video(scenario, cam.camera_id, path, cb))
    return videos


# --------------------------------------------------------------------------- truth


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
        tmin, tmax = _ray_box(origin, inv, b)
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
    fig = _build_figure(person, pose, camera, t_s)
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
