"""The town (buildings, roads) and its scripted people: outfits, poses, walks and stands."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from cctrace.sim.masks import COLOURS_BGR, MaskStyle
from cctrace.sim.render.base import BGR, F64, Role

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
