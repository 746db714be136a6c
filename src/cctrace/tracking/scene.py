"""Scene changes between two analysed frames of one video: a hard cut, a camera switching
view, or a frame freeze that ends in a jump. A track must not carry an identity across
any of them (issue 15, part 3), so the tracker is cut there (`ByteTracker.cut`).

Every analysed frame is reduced to a tiny blurred colour thumbnail (`SceneSignature`,
48x27 px, a few microseconds). Two signals compare consecutive analysed frames:

- a *cut*: most of the frame changed at once. The thumbnail is split into a grid of
  cells; a cell changed when its mean colour moved by more than ``cell_change`` grey
  levels. People walking through a view change the cells they cover (a person close to
  the camera a third of them); a cut to another view changes nearly all of them. The
  colour histograms of the two frames are compared as well, which catches a cut between
  two views of similar layout but different colours.
- a *freeze then jump*: the frame did not change at all (every cell within
  ``frozen_change`` grey levels) while people were being tracked, as when a recorder
  repeats its last frame; the first frame that changes after a freeze of at least
  ``freeze_min_s`` is a jump when the tracked people are no longer where they were
  (they moved an unknown distance while the picture stood still).

The thresholds are measured in docs/benchmarks.md (benchmarks/bench_cuts.py prints the
largest change between consecutive frames of the normal footage next to the change at
the cuts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import ImageBGR

THUMB_WH = (48, 27)
GRID_WH = (6, 3)
"""Cells of 8x9 thumbnail pixels: one sixth of the width, a third of the height."""
HIST_BINS = 4
"""Bins per colour channel of the frame's histogram (64 in all)."""


@dataclass(frozen=True)
class SceneSignature:
    """A frame reduced for comparison: ``cells`` (GRID_H, GRID_W, 3) float32 mean BGR of
    each grid cell, ``hist`` (HIST_BINS**3,) float32 square-rooted, sum-1 colour histogram
    (so that a dot product is the Bhattacharyya coefficient)."""

    cells: NDArray[np.float32]
    hist: NDArray[np.float32]


def scene_signature(image_bgr: ImageBGR) -> SceneSignature:
    small = cv2.resize(image_bgr, THUMB_WH, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), 0)
    gw, gh = GRID_WH
    cw, ch = THUMB_WH[0] // gw, THUMB_WH[1] // gh
    f = np.asarray(small[: gh * ch, : gw * cw], np.float32)
    cells = f.reshape(gh, ch, gw, cw, 3).mean(axis=(1, 3)).astype(np.float32)
    q = (np.asarray(small, np.int64) * HIST_BINS) // 256
    index = (q[..., 0] * HIST_BINS + q[..., 1]) * HIST_BINS + q[..., 2]
    hist = np.bincount(index.reshape(-1), minlength=HIST_BINS**3).astype(np.float32)
    hist = np.sqrt(hist / max(float(hist.sum()), 1.0)).astype(np.float32)
    return SceneSignature(cells, hist)


@dataclass(frozen=True)
class SceneChange:
    """How two signatures differ: ``changed_frac`` the fraction of grid cells whose mean
    colour moved more than the cell threshold, ``hist_distance`` 1 - Bhattacharyya
    coefficient of the colour histograms (0 same colours, 1 none in common),
    ``max_cell_change`` the largest mean colour change of one cell (grey levels)."""

    changed_frac: float
    hist_distance: float
    max_cell_change: float


def scene_change(a: SceneSignature, b: SceneSignature, cell_change: float) -> SceneChange:
    per_cell = np.abs(a.cells - b.cells).max(axis=2)
    bc = float(np.clip(a.hist @ b.hist, 0.0, 1.0))
    return SceneChange(
        changed_frac=float((per_cell > cell_change).mean()),
        hist_distance=1.0 - bc,
        max_cell_change=float(per_cell.max()),
    )


@dataclass
class SceneCutDetector:
    """Says, for each analysed frame in time order, whether it opens a new scene.

    - ``cell_change``: grey levels a cell's mean colour must move to count as changed.
    - ``cut_changed_frac``: fraction of cells changed at once that makes a cut.
    - ``cut_hist_distance``: colour histogram distance that makes a cut on its own.
    - ``frozen_change``: a frame whose every cell moved less than this is frozen.
    - ``freeze_min_s``: a freeze at least this long, then a change, may hide a jump.
    - ``jump_iou``: after such a freeze, a tracked box that no detection overlaps by this
      much has jumped; when most of them did, the frame is a jump. A rendered scene
      (no sensor noise) freezes too while everybody stands still, but whoever moves on
      from there has moved a few centimetres by the next frame, and the box overlaps the
      last one by far more; someone else standing near the frozen person's place rarely
      does.
    """

    cell_change: float = 15.0
    cut_changed_frac: float = 0.5
    cut_hist_distance: float = 0.1
    frozen_change: float = 0.5
    freeze_min_s: float = 0.7
    jump_iou: float = 0.6
    _last: SceneSignature | None = field(default=None, init=False, repr=False)
    _frozen_since_s: float = field(default=math.inf, init=False, repr=False)

    def is_cut(
        self,
        image_bgr: ImageBGR,
        t_s: float,
        track_box_xyxy: NDArray[np.float32],
        det_box_xyxy: NDArray[np.float32],
    ) -> bool:
        """Whether the frame at ``t_s`` lies across a scene change from the previous one.

        ``track_box_xyxy`` (T, 4): the boxes of the people tracked on the previous
        analysed frame; ``det_box_xyxy`` (N, 4): the persons detected on this one."""
        sig = scene_signature(image_bgr)
        last, self._last = self._last, sig
        if last is None:
            return False
        change = scene_change(last, sig, self.cell_change)
        if change.changed_frac >= self.cut_changed_frac:
            self._frozen_since_s = math.inf
            return True
        if change.hist_distance >= self.cut_hist_distance:
            self._frozen_since_s = math.inf
            return True
        if change.max_cell_change < self.frozen_change:
            # An empty still room is not frozen, just empty: count only while tracking.
            if len(track_box_xyxy) and math.isinf(self._frozen_since_s):
                self._frozen_since_s = t_s
            return False
        frozen_s = t_s - self._frozen_since_s
        self._frozen_since_s = math.inf
        return frozen_s >= self.freeze_min_s and self._boxes_jumped(track_box_xyxy, det_box_xyxy)

    def _boxes_jumped(
        self, track_box_xyxy: NDArray[np.float32], det_box_xyxy: NDArray[np.float32]
    ) -> bool:
        if not len(track_box_xyxy):
            return False
        if not len(det_box_xyxy):
            return True
        best = box_iou_batch(track_box_xyxy, det_box_xyxy).max(axis=1)
        return bool((best < self.jump_iou).mean() > 0.5)

    def reset(self) -> None:
        """Forget the previous frame: the state a resumed run starts with."""
        self._last = None
        self._frozen_since_s = math.inf
