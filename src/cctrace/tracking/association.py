"""ByteTrack's association step as pure functions: IoU cost, linear assignment, two stages.

Tracks are given by their Kalman-predicted boxes ``track_box_xyxy`` (T, 4) and detections
by ``det_box_xyxy`` (D, 4) with ``det_score`` (D,), all in pixels of one frame.

Stages, in the order they run (the numbers are the labels in ``stage``):

1. High-score detections (``score >= high_score``) against every live track, by IoU.
3. (cctrace addition) High-score detections still unmatched against tracks still
   unmatched, by centre distance in units of the track's height. At ~4 sampled frames
   per second a fast walker or a missed detection leaves the predicted box too far for
   any IoU overlap; the centre gate keeps the identity when size agrees.
2. Low-score detections (``low_score <= score < high_score``) against the tracks left
   over that were matched recently: a person half hidden behind another gets a weak
   detection, and ByteTrack's insight is that it still belongs to its track. ByteTrack
   admits only tracks matched on the previous frame; at ~4 sampled frames per second
   with missed detections that is too strict (a person hidden behind another for a few
   seconds yields only weak detections, and one miss would end the chain), so tracks
   matched within ``low_max_age_s`` seconds qualify.

The centre gate runs before the low-score stage because it is the high-score stage
stretched to low frame rates, and ByteTrack places every confident detection before
any weak one: run after it, a weak box left where a person stood (NanoDet gives such
ghosts at 0.15-0.18) took his track by overlap while his real, confident box a few
tenths of a height away started a new track (docs/benchmarks.md, "Fitted input off by
default"). Weak boxes still keep every track that no confident box is near.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# scipy ships no type stubs (scipy-stubs is a separate, fast-moving package).
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]

from cctrace.core.geometry import box_iou_batch

IndexArray = NDArray[np.intp]
F64 = NDArray[np.float64]


def iou_cost(boxes_a_xyxy: ArrayLike, boxes_b_xyxy: ArrayLike) -> F64:
    """1 - IoU for every pair: (N, 4) x (M, 4) -> (N, M) in [0, 1]."""
    return 1.0 - box_iou_batch(boxes_a_xyxy, boxes_b_xyxy).astype(np.float64)


def center_distance_cost(track_box_xyxy: ArrayLike, det_box_xyxy: ArrayLike) -> F64:
    """Centre distance over the track box height, (T, 4) x (D, 4) -> (T, D), unitless.

    Pairs whose heights differ by more than a factor 1.5 get +inf: with no overlap to
    go on, a similar size is the only evidence that it is the same person.
    """
    t = np.asarray(track_box_xyxy, dtype=np.float64).reshape(-1, 4)
    d = np.asarray(det_box_xyxy, dtype=np.float64).reshape(-1, 4)
    tc = (t[:, :2] + t[:, 2:]) / 2
    dc = (d[:, :2] + d[:, 2:]) / 2
    th = np.maximum(t[:, 3] - t[:, 1], 1.0)
    dh = np.maximum(d[:, 3] - d[:, 1], 1.0)
    dist = np.linalg.norm(tc[:, None, :] - dc[None, :, :], axis=2) / th[:, None]
    ratio = np.maximum(th[:, None] / dh[None, :], dh[None, :] / th[:, None])
    return np.where(ratio <= 1.5, dist, np.inf)


@dataclass(frozen=True)
class Assignment:
    """Result of matching rows (a) to columns (b) of a cost matrix.

    ``matches`` (K, 2) holds (row, column) pairs; ``unmatched_a`` and ``unmatched_b``
    the remaining row and column indices, ascending.
    """

    matches: IndexArray
    unmatched_a: IndexArray
    unmatched_b: IndexArray


def linear_assignment(cost: ArrayLike, threshold: float) -> Assignment:
    """Minimum-cost one-to-one matching keeping only pairs with ``cost <= threshold``.

    ``cost`` is (N, M); entries may be +inf (forbidden). Uses the Hungarian method
    (scipy's ``linear_sum_assignment``) on the cost with forbidden entries replaced by
    a large finite value, then drops pairs above the threshold, as ByteTrack's lapjv call
    with ``cost_limit`` does.
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"cost must be a 2-D (N, M) matrix, got shape {c.shape}")
    n, m = c.shape
    if n == 0 or m == 0:
        return Assignment(
            np.zeros((0, 2), np.intp), np.arange(n, dtype=np.intp), np.arange(m, dtype=np.intp)
        )
    allowed = c <= threshold
    # Pairs over the threshold must not steal a row from a valid pair: cost them more
    # than any sum of allowed costs so the solver only uses them when nothing else fits.
    big = float(np.abs(c[allowed]).sum() + 1.0) if allowed.any() else 1.0
    rows, cols = linear_sum_assignment(np.where(allowed, c, big))
    keep = allowed[rows, cols]
    matches = np.stack([rows[keep], cols[keep]], axis=1).astype(np.intp)
    unmatched_a = np.setdiff1d(np.arange(n), matches[:, 0]).astype(np.intp)
    unmatched_b = np.setdiff1d(np.arange(m), matches[:, 1]).astype(np.intp)
    return Assignment(matches.reshape(-1, 2), unmatched_a, unmatched_b)


@dataclass(frozen=True)
class AssociationResult:
    """Track-to-detection matches of one frame.

    ``matches`` (K, 2): (track index, detection index) into the inputs of `associate`.
    ``unmatched_tracks``: track indices with no detection this frame.
    ``unmatched_high_dets``: detection indices with ``score >= high_score`` left over,
    the candidates for new tracks (low-score leftovers are dropped as ByteTrack does).
    ``stage`` (K,): 1, 2 or 3, the stage that made each match (for tests and tuning).
    """

    matches: IndexArray
    unmatched_tracks: IndexArray
    unmatched_high_dets: IndexArray
    stage: NDArray[np.int8]


def associate(
    track_box_xyxy: ArrayLike,
    track_age_s: ArrayLike,
    det_box_xyxy: ArrayLike,
    det_score: ArrayLike,
    *,
    high_score: float = 0.5,
    low_score: float = 0.1,
    match_iou: float = 0.2,
    low_match_iou: float = 0.5,
    low_max_age_s: float = 1.5,
    center_gate_h: float | None = 0.5,
) -> AssociationResult:
    """ByteTrack's two-stage association plus an optional centre-distance fallback,
    which runs between them (every confident detection before any weak one).

    track_box_xyxy (T, 4): predicted track boxes; track_age_s (T,): seconds since each
    track's last match (only tracks with age <= ``low_max_age_s`` take low-score ones).
    det_box_xyxy (D, 4), det_score (D,): this frame's detections.
    A pair matches in stage 1 when IoU >= ``match_iou``, in stage 2 when IoU >=
    ``low_match_iou``, and in stage 3 when the centre distance is at most
    ``center_gate_h`` track heights (``None`` disables stage 3).
    """
    tb = np.asarray(track_box_xyxy, dtype=np.float64).reshape(-1, 4)
    age = np.asarray(track_age_s, dtype=np.float64).reshape(-1)
    db = np.asarray(det_box_xyxy, dtype=np.float64).reshape(-1, 4)
    ds = np.asarray(det_score, dtype=np.float64).reshape(-1)
    if len(age) != len(tb):
        raise ValueError(f"{len(tb)} track boxes but {len(age)} track ages")
    if len(ds) != len(db):
        raise ValueError(f"{len(db)} detection boxes but {len(ds)} scores")
    if not 0.0 <= low_score <= high_score <= 1.0:
        raise ValueError(f"need 0 <= low_score <= high_score <= 1, got {low_score}, {high_score}")

    high = np.flatnonzero(ds >= high_score)
    low = np.flatnonzero((ds >= low_score) & (ds < high_score))
    all_tracks = np.arange(len(tb))
    pairs: list[IndexArray] = []
    stages: list[NDArray[np.int8]] = []

    def run(tracks: IndexArray, dets: IndexArray, cost: F64, thr: float, stage: int) -> Assignment:
        a = linear_assignment(cost, thr)
        pairs.append(np.stack([tracks[a.matches[:, 0]], dets[a.matches[:, 1]]], axis=1))
        stages.append(np.full(len(a.matches), stage, np.int8))
        return a

    a1 = run(all_tracks, high, iou_cost(tb, db[high]), 1.0 - match_iou, 1)
    left_tracks = all_tracks[a1.unmatched_a]
    left_high = high[a1.unmatched_b]

    if center_gate_h is not None and len(left_tracks) and len(left_high):
        cost3 = center_distance_cost(tb[left_tracks], db[left_high])
        a3 = run(left_tracks, left_high, cost3, center_gate_h, 3)
        left_tracks = left_tracks[a3.unmatched_a]
        left_high = left_high[a3.unmatched_b]

    second = left_tracks[age[left_tracks] <= low_max_age_s]
    a2 = run(second, low, iou_cost(tb[second], db[low]), 1.0 - low_match_iou, 2)
    matched2 = second[a2.matches[:, 0]]
    left_tracks = np.setdiff1d(left_tracks, matched2).astype(np.intp)

    matches = np.concatenate(pairs, axis=0).astype(np.intp).reshape(-1, 2)
    return AssociationResult(
        matches=matches,
        unmatched_tracks=np.sort(left_tracks).astype(np.intp),
        unmatched_high_dets=np.sort(left_high).astype(np.intp),
        stage=np.concatenate(stages).astype(np.int8),
    )
