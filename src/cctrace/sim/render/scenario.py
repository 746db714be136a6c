"""The demo scenario: three streets, three cameras, the patient, the friend and bystanders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from cctrace.sim.masks import COLOURS_BGR, MaskStyle
from cctrace.sim.render.base import BGR, DEFAULT_FPS, DEFAULT_SIZE_PX
from cctrace.sim.render.cameras import CameraSpec
from cctrace.sim.render.world import (
    Building,
    Keyframe,
    Outfit,
    Recording,
    Road,
    ScriptedPerson,
    stand,
    then_walk,
    walk,
)


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
