"""What a case lets a trace see: its time window and region (`CaseScope`), the UTC days
its face search reads, and time windows merged and tested for overlap."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.trace.plausibility import F64
from cctrace.trace.types import CaseQuery


@dataclass(frozen=True)
class CaseScope:
    """What one case may see: its time window and, optionally, its cameras."""

    case_id: str
    t_from_s: float
    t_to_s: float
    camera_ids: frozenset[str] | None

    @classmethod
    def of(cls, query: CaseQuery) -> CaseScope:
        if not (np.isfinite(query.t_from_s) and np.isfinite(query.t_to_s)):
            raise InputError(f"case {query.case_id}: the time window must be finite")
        if query.t_to_s < query.t_from_s:
            raise InputError(
                f"case {query.case_id}: the time window ends before it starts "
                f"({query.t_from_s} > {query.t_to_s})"
            )
        cams = None if query.camera_ids is None else frozenset(query.camera_ids)
        return cls(query.case_id, float(query.t_from_s), float(query.t_to_s), cams)

    def admits_camera(self, camera_id: str) -> bool:
        return self.camera_ids is None or camera_id in self.camera_ids

    def clip(self, s: Sighting) -> Sighting | None:
        """The part of ``s`` inside the scope (path samples outside dropped), or None."""
        if not self.admits_camera(s.camera_id):
            return None
        if s.t_end_s < self.t_from_s or s.t_start_s > self.t_to_s:
            return None
        if s.t_start_s >= self.t_from_s and s.t_end_s <= self.t_to_s:
            return s
        t = np.asarray(s.path_t_s, np.float64)
        keep = (t >= self.t_from_s) & (t <= self.t_to_s)
        boxes = None if s.path_box_xyxy is None else s.path_box_xyxy[keep]
        face_px = None if s.path_face_px is None else s.path_face_px[keep]
        return dataclasses.replace(
            s,
            t_start_s=max(s.t_start_s, self.t_from_s),
            t_end_s=min(s.t_end_s, self.t_to_s),
            path_t_s=t[keep],
            path_floor_xy_m=s.path_floor_xy_m[keep],
            path_box_xyxy=boxes,
            path_face_px=face_px,
        )

    def clip_all(self, sightings: Iterable[Sighting]) -> list[Sighting]:
        return [c for s in sightings if (c := self.clip(s)) is not None]


def window_days(t_from_s: float, t_to_s: float) -> list[str]:
    """Every UTC day ``YYYY-MM-DD`` from the one holding ``t_from_s`` to ``t_to_s``'s."""
    day = datetime.fromtimestamp(t_from_s, UTC).date()
    last = datetime.fromtimestamp(t_to_s, UTC).date()
    days = []
    while day <= last:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class Window:
    """A camera and a span of time whose sightings are needed."""

    camera_id: str
    t_from_s: float
    t_to_s: float


def merge_intervals(
    intervals: Iterable[tuple[float, float]], join_gap_s: float = 0.0
) -> list[tuple[float, float]]:
    """Union of closed intervals, sorted and disjoint (those at most ``join_gap_s`` apart
    joined)."""
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + join_gap_s:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def merged_windows(windows: Iterable[Window]) -> dict[str, list[tuple[float, float]]]:
    """Per camera, the union of ``windows``' spans (sorted, disjoint; empty spans
    dropped): a sighting overlaps some window exactly when it overlaps the union, and
    the windows of one stay's seeds overlap each other almost wholly."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for w in windows:
        if w.t_to_s >= w.t_from_s:
            spans.setdefault(w.camera_id, []).append((w.t_from_s, w.t_to_s))
    return {cam: merge_intervals(v) for cam, v in spans.items()}


def overlaps_union(
    union: Sequence[tuple[float, float]], starts: F64, ends: F64
) -> NDArray[np.bool_]:
    """(N,) whether each interval ``[starts[i], ends[i]]`` overlaps some span of
    ``union`` (sorted and disjoint, as `merge_intervals` gives it): one binary search.
    The last span starting at or before an interval's end is the one with the latest
    end among those it could overlap."""
    if not union:
        return np.zeros(len(starts), np.bool_)
    lo = np.array([u[0] for u in union])
    hi = np.array([u[1] for u in union])
    k = np.searchsorted(lo, ends, side="right") - 1
    ok = k >= 0
    ok[ok] = hi[k[ok]] >= starts[ok]
    return ok
