"""MOTChallenge text lines and CLEAR-MOT metrics (MOTA, ID switches, FP, FN), pure.

A MOT line is ``frame,id,x,y,w,h,conf,-1,-1,-1``: ``frame`` 1-based, box top-left
``x, y`` and size ``w, h`` in pixels, ``conf`` the detection score (1 for ground truth).

`mot_metrics` follows the CLEAR-MOT definition (Bernardin & Stiefelhagen 2008) as
py-motmetrics implements it: per frame, a ground-truth object keeps its previous
prediction when they still overlap (IoU >= ``iou_threshold``); the others are matched
by the Hungarian method on 1 - IoU. A switch is counted when a ground-truth object is
matched to a different predicted ID than at its last match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import TrackedDetections
from cctrace.tracking.association import linear_assignment


def to_mot_lines(frame_index: int, tracked: TrackedDetections) -> list[str]:
    """MOT lines for one frame; ``frame_index`` is 0-based (as `Frame.index`), written +1."""
    if frame_index < 0:
        raise ValueError(f"frame_index must be >= 0 (0-based), got {frame_index}")
    b = tracked.detections.box_xyxy
    lines = []
    for (x1, y1, x2, y2), tid, conf in zip(
        b.tolist(), tracked.track_id.tolist(), tracked.detections.score.tolist(), strict=True
    ):
        box = f"{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f}"
        lines.append(f"{frame_index + 1},{tid},{box},{conf:.4f},-1,-1,-1")
    return lines


@dataclass(frozen=True)
class MotFrame:
    """Parsed boxes of one frame: ``ids`` (N,) int64 and ``box_xyxy`` (N, 4) float64."""

    ids: NDArray[np.int64]
    box_xyxy: NDArray[np.float64]


def parse_mot_lines(lines: Iterable[str]) -> dict[int, MotFrame]:
    """1-based frame number -> that frame's boxes. Blank lines and ``#`` comments skipped."""
    rows: dict[int, list[tuple[int, float, float, float, float]]] = {}
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(",")
        if len(parts) < 6:
            raise ValueError(f"MOT line {n} has {len(parts)} fields, need at least 6: {line!r}")
        try:
            frame, tid = int(float(parts[0])), int(float(parts[1]))
            x, y, w, h = (float(p) for p in parts[2:6])
        except ValueError:
            raise ValueError(f"MOT line {n} is not numeric: {line!r}") from None
        rows.setdefault(frame, []).append((tid, x, y, x + w, y + h))
    out: dict[int, MotFrame] = {}
    for frame, r in rows.items():
        a = np.asarray(r, dtype=np.float64).reshape(-1, 5)
        out[frame] = MotFrame(ids=a[:, 0].astype(np.int64), box_xyxy=a[:, 1:])
    return out


@dataclass(frozen=True)
class MotMetrics:
    """CLEAR-MOT counts over a sequence; ``mota`` = 1 - (fn + fp + switches) / num_gt."""

    num_frames: int
    num_gt: int
    num_pred: int
    num_matches: int
    num_false_positives: int
    num_misses: int
    num_switches: int
    mota: float
    motp_iou: float
    """Mean IoU of matched pairs (1 is perfect; py-motmetrics reports 1 - this)."""


def mot_metrics(
    gt_lines: Iterable[str], pred_lines: Iterable[str], iou_threshold: float = 0.5
) -> MotMetrics:
    """Compare predicted MOT lines with ground-truth MOT lines over all frames in either."""
    gt = parse_mot_lines(gt_lines)
    pred = parse_mot_lines(pred_lines)
    empty = MotFrame(np.zeros((0,), np.int64), np.zeros((0, 4)))
    last_match: dict[int, int] = {}  # gt id -> pred id at its last match
    n_gt = n_pred = n_match = n_fp = n_fn = n_sw = 0
    iou_sum = 0.0
    frames = sorted(set(gt) | set(pred))
    for f in frames:
        g, p = gt.get(f, empty), pred.get(f, empty)
        iou = box_iou_batch(g.box_xyxy, p.box_xyxy).astype(np.float64)
        ok = iou >= iou_threshold
        pairs: list[tuple[int, int]] = []
        g_free = np.ones(len(g.ids), bool)
        p_free = np.ones(len(p.ids), bool)
        # Keep last frame's correspondences that still hold: this is what makes a
        # switch a switch rather than whatever the Hungarian method prefers this frame.
        pred_col = {int(pid): j for j, pid in enumerate(p.ids)}
        for i, gid in enumerate(g.ids.tolist()):
            j = pred_col.get(last_match.get(gid, -(2**62)))
            if j is not None and ok[i, j] and p_free[j]:
                pairs.append((i, j))
                g_free[i] = p_free[j] = False
        gi, pj = np.flatnonzero(g_free), np.flatnonzero(p_free)
        cost = np.where(ok[np.ix_(gi, pj)], 1.0 - iou[np.ix_(gi, pj)], np.inf)
        a = linear_assignment(cost, 1.0 - iou_threshold)
        pairs += [(int(gi[r]), int(pj[c])) for r, c in a.matches]
        for i, j in pairs:
            gid, pid = int(g.ids[i]), int(p.ids[j])
            if gid in last_match and last_match[gid] != pid:
                n_sw += 1
            last_match[gid] = pid
            iou_sum += float(iou[i, j])
        n_gt += len(g.ids)
        n_pred += len(p.ids)
        n_match += len(pairs)
        n_fn += len(g.ids) - len(pairs)
        n_fp += len(p.ids) - len(pairs)
    mota = 1.0 - (n_fn + n_fp + n_sw) / n_gt if n_gt else float("nan")
    return MotMetrics(
        num_frames=len(frames),
        num_gt=n_gt,
        num_pred=n_pred,
        num_matches=n_match,
        num_false_positives=n_fp,
        num_misses=n_fn,
        num_switches=n_sw,
        mota=mota,
        motp_iou=iou_sum / n_match if n_match else float("nan"),
    )
