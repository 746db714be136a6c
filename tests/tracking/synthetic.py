"""A synthetic camera scene with known identities, for tracker tests.

People walk on straight lines (some crossing each other) in a 1280x720 frame; frames
are sampled at about 4 per second with irregular gaps (motion skips); detections get box
jitter, 20 % are dropped, some come with a low score (a person partly hidden behind
another is always weak), and a few false boxes appear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cctrace.core.types import Detections

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True)
class Walker:
    """A person: visible from ``t0_s`` to ``t1_s``; feet at ``foot0_xy`` + v·(t - t0)."""

    person_id: int
    t0_s: float
    t1_s: float
    foot0_xy: tuple[float, float]
    velocity_xy_per_s: tuple[float, float]
    height_px: float

    def box_xyxy(self, t_s: float) -> np.ndarray:  # type: ignore[type-arg]
        dt = t_s - self.t0_s
        fx = self.foot0_xy[0] + self.velocity_xy_per_s[0] * dt
        fy = self.foot0_xy[1] + self.velocity_xy_per_s[1] * dt
        w = 0.4 * self.height_px
        return np.array([fx - w / 2, fy - self.height_px, fx + w / 2, fy])


WALKERS = (
    # Two people crossing head-on along the same line of the floor.
    Walker(1, 0.0, 14.0, (100.0, 600.0), (80.0, 0.0), 240.0),
    Walker(2, 1.0, 15.0, (1200.0, 590.0), (-80.0, 0.0), 230.0),
    # A fast walker (1.2 heights per second) further back.
    Walker(3, 2.0, 9.0, (50.0, 400.0), (170.0, 0.0), 140.0),
    # Coming towards the camera: growing? kept constant size, moving down the frame.
    Walker(4, 4.0, 16.0, (640.0, 300.0), (5.0, 25.0), 120.0),
    # Two walking side by side, a little apart.
    Walker(5, 6.0, 20.0, (1200.0, 470.0), (-60.0, 0.0), 180.0),
    Walker(6, 6.5, 20.0, (1260.0, 480.0), (-60.0, 0.0), 185.0),
    # A slow one crossing 3 and 4 diagonally.
    Walker(7, 3.0, 22.0, (300.0, 250.0), (30.0, 12.0), 110.0),
)


@dataclass(frozen=True)
class SceneFrame:
    """One sampled frame: its time, the detector's output and the truth."""

    index: int
    t_s: float
    detections: Detections
    gt_ids: np.ndarray  # type: ignore[type-arg]
    gt_box_xyxy: np.ndarray  # type: ignore[type-arg]


def _visible(box: np.ndarray) -> bool:  # type: ignore[type-arg]
    return bool(box[2] > 0 and box[0] < WIDTH and box[3] > 0 and box[1] < HEIGHT)


def make_scene(seed: int = 0, duration_s: float = 22.0, drop_frac: float = 0.2) -> list[SceneFrame]:
    """The sampled frames of the scene; the same seed gives the same scene."""
    rng = np.random.default_rng(seed)
    times: list[float] = []
    t = 0.0
    while t < duration_s:
        times.append(t)
        # ~4 fps with jitter, and now and then a 1 s gap (frames skipped for no motion).
        t += 1.0 if rng.random() < 0.05 else float(rng.uniform(0.18, 0.35))
    frames = []
    for index, t_s in enumerate(times):
        ids, boxes = [], []
        for w in WALKERS:
            if w.t0_s <= t_s <= w.t1_s:
                b = w.box_xyxy(t_s)
                if _visible(b):
                    ids.append(w.person_id)
                    boxes.append(b)
        gt_box = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        gt_ids = np.asarray(ids, dtype=np.int64)
        det_boxes, det_scores = [], []
        for i, b in enumerate(gt_box):
            if rng.random() < drop_frac:
                continue
            h = b[3] - b[1]
            jitter = rng.normal(0.0, 0.03 * h, 4)
            # Occluded: another person's box overlaps and their feet are lower (closer).
            occluded = any(
                j != i
                and gt_box[j, 3] > b[3]
                and min(b[2], gt_box[j, 2]) - max(b[0], gt_box[j, 0]) > 0.3 * (b[2] - b[0])
                for j in range(len(gt_box))
            )
            weak = occluded or rng.random() < 0.15
            det_boxes.append(b + jitter)
            det_scores.append(rng.uniform(0.15, 0.49) if weak else rng.uniform(0.6, 0.95))
        for _ in range(rng.poisson(0.3)):
            # Clutter: mostly low score, never confident enough to start a track alone.
            x, y = rng.uniform(0, WIDTH - 60), rng.uniform(0, HEIGHT - 150)
            det_boxes.append(np.array([x, y, x + 60, y + 150]))
            det_scores.append(rng.uniform(0.1, 0.58))
        dets = Detections(
            np.asarray(det_boxes, dtype=np.float32).reshape(-1, 4),
            np.asarray(det_scores, dtype=np.float32),
        )
        frames.append(SceneFrame(index, t_s, dets, gt_ids, gt_box))
    return frames


def gt_mot_lines(frames: list[SceneFrame]) -> list[str]:
    """MOT lines of the truth (frame numbers 1-based)."""
    lines = []
    for f in frames:
        for pid, (x1, y1, x2, y2) in zip(f.gt_ids.tolist(), f.gt_box_xyxy.tolist(), strict=True):
            lines.append(f"{f.index + 1},{pid},{x1},{y1},{x2 - x1},{y2 - y1},1,-1,-1,-1")
    return lines
