"""Could two sightings be one person? Pure, vectorised tests of space, time and looks.

Camera positions are either geographic (lat/lon degrees) or site-plan metres. Two
geographic positions compare anywhere; two site-plan positions only within one site
(each site's plan is its own frame); anything else is unknown (NaN), and unknown
never counts as reachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Sighting
from cctrace.geometry.calibration import stored_floor_frame
from cctrace.store.records import CameraRecord
from cctrace.vision.appearance import (
    CNN_DIM,
    COLOUR_DIM,
    AppearanceDescriptor,
    appearance_from_vector,
    appearance_similarity_matrix,
)

F64 = NDArray[np.float64]
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class CameraPositions:
    """Positions of N cameras as parallel arrays (NaN where unknown)."""

    camera_ids: tuple[str, ...]
    lat_deg: F64
    lon_deg: F64
    x_m: F64
    y_m: F64
    site: tuple[str, ...]

    @classmethod
    def of(cls, cameras: Sequence[CameraRecord]) -> CameraPositions:
        def col(values: list[float | None]) -> F64:
            return np.array([np.nan if v is None else v for v in values], np.float64)

        return cls(
            tuple(c.camera_id for c in cameras),
            col([c.lat for c in cameras]),
            col([c.lon for c in cameras]),
            col([c.x_m for c in cameras]),
            col([c.y_m for c in cameras]),
            tuple(c.site for c in cameras),
        )


def camera_distance_matrix_m(a: CameraPositions, b: CameraPositions) -> F64:
    """(A, B) metres between cameras; 0 for a camera and itself; NaN where unknown.

    Geographic pairs use the equirectangular approximation (under 0.1% error at city
    scale); site-plan pairs need the same site. Geographic wins when both are known.
    """
    lat_a, lat_b = np.radians(a.lat_deg)[:, None], np.radians(b.lat_deg)[None, :]
    dlon = np.radians(b.lon_deg)[None, :] - np.radians(a.lon_deg)[:, None]
    east = dlon * np.cos((lat_a + lat_b) / 2) * EARTH_RADIUS_M
    north = (lat_b - lat_a) * EARTH_RADIUS_M
    geo = np.hypot(east, north)
    plan = np.hypot(b.x_m[None, :] - a.x_m[:, None], b.y_m[None, :] - a.y_m[:, None])
    same_site = np.array(a.site, dtype=object)[:, None] == np.array(b.site, dtype=object)[None, :]
    plan = np.where(same_site, plan, np.nan)
    out = np.where(np.isfinite(geo), geo, plan)
    same = np.array(a.camera_ids, dtype=object)[:, None] == np.array(b.camera_ids, dtype=object)
    return np.asarray(np.where(same, 0.0, out), np.float64)


def time_gap_s(a_start_s: F64, a_end_s: F64, b_start_s: F64, b_end_s: F64) -> F64:
    """(A, B) seconds between two sets of intervals; 0 where they overlap or touch."""
    after = b_start_s[None, :] - a_end_s[:, None]
    before = a_start_s[:, None] - b_end_s[None, :]
    return np.asarray(np.maximum(0.0, np.maximum(after, before)), np.float64)


def time_overlap_s(a_start_s: F64, a_end_s: F64, b_start_s: F64, b_end_s: F64) -> F64:
    """(A, B) seconds two sets of intervals share (0 when disjoint)."""
    lo = np.maximum(a_start_s[:, None], b_start_s[None, :])
    hi = np.minimum(a_end_s[:, None], b_end_s[None, :])
    return np.asarray(np.maximum(0.0, hi - lo), np.float64)


def reachable(distance_m: F64, gap_s: F64, speed_mps: float, slack_m: float) -> NDArray[np.bool_]:
    """Whether ``distance_m`` can be walked in ``gap_s`` at ``speed_mps`` (plus slack).

    Same shapes in and out; an unknown (NaN) distance is never reachable.
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(distance_m <= speed_mps * gap_s + slack_m, np.bool_)


def sighting_intervals(sightings: Sequence[Sighting]) -> tuple[F64, F64]:
    """Start and end times (N,) seconds of N sightings."""
    return (
        np.array([s.t_start_s for s in sightings], np.float64),
        np.array([s.t_end_s for s in sightings], np.float64),
    )


def appearance_similarity_of(a: Sequence[Sighting], b: Sequence[Sighting]) -> F64:
    """(A, B) appearance similarities (see `cctrace.vision.appearance`); NaN where either
    sighting has no appearance vector, or one of another model's length (not comparable)."""
    out = np.full((len(a), len(b)), np.nan)
    ia, da = _descriptors(a)
    ib, db = _descriptors(b)
    if ia and ib:
        out[np.ix_(ia, ib)] = appearance_similarity_matrix(da, db)
    return out


MAD_TO_STD = 1.4826
"""Median absolute deviation times this estimates a normal distribution's standard
deviation."""


def self_consistent_threshold(
    sightings: Sequence[Sighting], floor: float, spread: float, min_pairs: int
) -> float:
    """The appearance similarity a look-alike must reach to be the person ``sightings``
    show (one person's sightings, e.g. a patient's face-confirmed ones): at least
    ``floor``, raised to how alike those sightings are to each other across cameras,
    their median similarity less ``spread`` robust standard deviations (1.4826 x MAD).

    Only pairs in different cameras count (a link by appearance is always to another
    camera, whose light changes how the clothes look), and only with at least
    ``min_pairs`` of them; fewer say too little and leave ``floor``. The median and MAD
    stay put when a few of the sightings are someone else's (a wrong face match).
    In a dense crowd a fixed threshold lets in whoever is dressed alike; a patient whose
    own sightings look far more alike to each other than that tells the look-alikes
    apart (per-subject score normalisation, as for faces)."""
    if spread < 0 or min_pairs < 1:
        raise ValueError("spread must be >= 0 and min_pairs >= 1")
    if len(sightings) < 2:
        return floor
    looks = appearance_similarity_of(sightings, sightings)
    cams = np.array([s.camera_id for s in sightings], dtype=object)
    upper = np.triu(np.ones(looks.shape, np.bool_), k=1)
    cross = upper & (cams[:, None] != cams[None, :]) & np.isfinite(looks)
    values = looks[cross]
    if len(values) < min_pairs:
        return floor
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    return max(floor, median - spread * MAD_TO_STD * mad)


def _descriptors(sightings: Sequence[Sighting]) -> tuple[list[int], list[AppearanceDescriptor]]:
    rows: list[int] = []
    descriptors: list[AppearanceDescriptor] = []
    for i, s in enumerate(sightings):
        if s.appearance is not None and s.appearance.size == CNN_DIM + COLOUR_DIM:
            rows.append(i)
            descriptors.append(appearance_from_vector(s.appearance))
    return rows, descriptors


def face_similarity_of(a: Sequence[Sighting], b: Sequence[Sighting]) -> F64:
    """(A, B) face cosines; NaN where either sighting has no face embedding."""
    out = np.full((len(a), len(b)), np.nan)
    ia = [i for i, s in enumerate(a) if s.face_embedding is not None]
    ib = [j for j, s in enumerate(b) if s.face_embedding is not None]
    if ia and ib:
        fa = unit_rows(np.stack([np.asarray(a[i].face_embedding, np.float64) for i in ia]))
        fb = unit_rows(np.stack([np.asarray(b[j].face_embedding, np.float64) for j in ib]))
        out[np.ix_(ia, ib)] = fa @ fb.T
    return out


def unit_rows(rows: F64) -> F64:
    """Rows of an (N, D) array scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), np.float64)


def path_end_points(sightings: Sequence[Sighting]) -> tuple[F64, F64]:
    """First and last finite floor positions (N, 2) metres of N sightings (NaN if none)."""
    first = np.full((len(sightings), 2), np.nan)
    last = np.full((len(sightings), 2), np.nan)
    for i, s in enumerate(sightings):
        xy = np.asarray(s.path_floor_xy_m, np.float64).reshape(-1, 2)
        t = np.asarray(s.path_t_s, np.float64).reshape(-1)
        ok = np.flatnonzero(np.isfinite(xy).all(axis=1) & np.isfinite(t))
        if len(ok):
            order = ok[np.argsort(t[ok], kind="stable")]
            first[i], last[i] = xy[order[0]], xy[order[-1]]
    return first, last


class CameraMap:
    """Camera positions by id, for distance look-ups between subsets of cameras."""

    def __init__(self, cameras: Sequence[CameraRecord]) -> None:
        self.cameras = {c.camera_id: c for c in cameras}
        self.positions = CameraPositions.of(list(self.cameras.values()))
        self._row = {cid: i for i, cid in enumerate(self.positions.camera_ids)}
        self._within_cache: dict[tuple[str, float], tuple[str, ...]] = {}
        self._frames: dict[str, str | None] | None = None
        self._sharing_cache: dict[tuple[str, float], tuple[str, ...]] = {}

    def _subset(self, camera_ids: Sequence[str]) -> CameraPositions:
        rows = [self._row.get(c, -1) for c in camera_ids]
        p = self.positions

        def take(a: F64) -> F64:
            padded = np.append(a, np.nan)  # row -1: a camera the store does not know
            return np.asarray(padded[rows], np.float64)

        sites = (*p.site, "")
        return CameraPositions(
            tuple(camera_ids),
            take(p.lat_deg),
            take(p.lon_deg),
            take(p.x_m),
            take(p.y_m),
            tuple(sites[r] for r in rows),
        )

    def distances_m(self, a_ids: Sequence[str], b_ids: Sequence[str]) -> F64:
        """(A, B) metres between the cameras named; NaN where unknown."""
        return camera_distance_matrix_m(self._subset(a_ids), self._subset(b_ids))

    def floor_frame(self, camera_id: str) -> str | None:
        """The floor plan ``camera_id``'s calibration names (`Calibration.floor_frame`)."""
        if self._frames is None:
            self._frames = {
                cid: stored_floor_frame(c.calibration_json) for cid, c in self.cameras.items()
            }
        return self._frames.get(camera_id)

    def sharing_frame(self, camera_id: str, radius_m: float) -> tuple[str, ...]:
        """Other cameras whose calibration names ``camera_id``'s floor frame (none when it
        names none), except those known to be more than ``radius_m`` away: their floor
        positions are comparable with this camera's."""
        key = (camera_id, radius_m)
        if key not in self._sharing_cache:  # asked for each stay, twice per trace
            frame = self.floor_frame(camera_id)
            same = [
                c
                for c in self.cameras
                if frame is not None and c != camera_id and self.floor_frame(c) == frame
            ]
            if not same:
                self._sharing_cache[key] = ()
            else:
                d = self.distances_m([camera_id], same)[0]
                self._sharing_cache[key] = tuple(
                    c for c, m in zip(same, d, strict=True) if not m > radius_m
                )
        return self._sharing_cache[key]

    def within(self, camera_id: str, radius_m: float) -> tuple[str, ...]:
        """Cameras (itself included) whose known distance to ``camera_id`` is at most
        ``radius_m``; unknown distances are left out."""
        key = (camera_id, radius_m)
        if key not in self._within_cache:
            d = self.distances_m([camera_id], self.positions.camera_ids)[0]
            with np.errstate(invalid="ignore"):
                near = np.flatnonzero(d <= radius_m)
            self._within_cache[key] = tuple(self.positions.camera_ids[i] for i in near)
        return self._within_cache[key]
