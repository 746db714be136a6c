"""Uncalibrated cameras: place people by where their feet are, not by how tall they look.

The height model (`cctrace.geometry.height`) puts every person at the distance where a
1.7 m adult would look as tall as their box. Each person's own stature, pose and any cut
of their box then moves them along the camera's axis: two people standing side by side
11 m away, one 1.62 m and one 1.80 m tall, are placed 1.1 m apart in depth although their
feet touch the same floor line. At a contact threshold of 1-2 m that decides the contact.

On a flat floor the feet say more: everyone whose feet are on one image row stands at
one distance, and for a camera above head height the box height of a standing adult
grows linearly with the foot row, ``h_px = slope * (foot_row_px - horizon_row_px)``
(the horizon is where a box would shrink to nothing; Hoiem, Efros and Hebert, "Putting
objects in perspective", 2006). A camera's own footage shows that line: every tracked
box is a sample of it. `fit_row_scale` fits it robustly (people of unusual height,
sitting people and boxes cut by an edge or another person are outliers), and
`rescale_to_foot_row` moves each height-model position to the distance of an average
adult with feet on the same row: exact for the level pinhole model that ingestion uses,
and the same figure for two people whose feet share a row whatever their stature.

Where the rows do not spread (nobody walked nearer or farther), nothing changes. It
needs the frame height only to know which boxes an edge cut, and keeps the figures approximate:
the scale along the axis still rests on the assumed field of view and 1.7 m average.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cctrace.core.geometry import FACE_WIDTH_PER_BOX_HEIGHT

F64 = NDArray[np.float64]

EDGE_MARGIN_PX = 2.0
"""Boxes within 2 px of the frame's top or bottom edge are cut by it (as for the height
model's ``truncated`` flag)."""
MIN_SAMPLES = 8
"""Fewer boxes than this say nothing reliable about a camera's floor."""
MAX_SAMPLES_PER_TRACK = 60
"""A person standing for ten minutes gives thousands of nearly identical boxes; capping
each track keeps one standing person from outweighing every walker's rows."""
OUTLIER_LOG_RATIO = 0.2
"""Boxes more than about 20% off the fitted height (a child, a seated person, a box cut
by an edge or by someone in front) are left out of the next round of the fit."""
HIDDEN_FEET_RATIO = 0.8
"""A box shorter than this share of the expected height at its bottom row is taken for
a person whose legs something hides, and placed by the top row. A seated person or a
child (0.6-0.8) is then placed nearer than they are: of the two errors, a contact
warned too many rather than one missed (a person behind a counter was put 7 m too far
by box height, 1.3 m by the bottom row; docs/benchmarks.md)."""
HIDDEN_FACE_RATIO = 1.25
"""A face this much wider than a standing adult's whose feet are on the box's bottom row
(`FACE_WIDTH_PER_BOX_HEIGHT` of the expected height there) belongs to someone nearer:
their feet are below that row, hidden. The test does not involve the box's height, so
it holds whatever the person's stature; behind a low block the visible part can still
pass ``HIDDEN_FEET_RATIO`` at its bottom row, as that row (the block's edge) lies far
up the image. The ratio is also how much too far the bottom row puts such a person, so
one under it is off by less than 25 %. Whole people's faces measured 0.98-1.35 of
`FACE_WIDTH_PER_BOX_HEIGHT` of their box on the shared clips; a false alarm costs
little, as a whole body is placed by its face close to where its feet put it."""
FACE_WINDOW_S = 3.0
"""Faces within this span around a path point (centred) are pooled by their median: one
face a detector drew too wide must not re-place a walker."""
MIN_WINDOW_FACES = 3
"""Fewer faces than this in the span decide nothing."""
MIN_ROW_SPREAD = 0.15
"""The foot rows' (weighted) standard deviation must reach this share of the median box
height before the slope is believed. A constant height would not do instead: it moves
anyone off the crowded rows (a walker coming in at the bottom of the frame) to wherever
the constant puts them, which measured 0.08 m from a person 1.3 m away."""


@dataclass(frozen=True)
class RowScale:
    """Expected box height of a standing adult by foot row, pixels:
    ``slope * foot_row_px + offset_px`` (slope > 0)."""

    slope: float
    offset_px: float
    samples: int

    def expected_height_px(self, foot_row_px: ArrayLike) -> F64:
        """(N,) expected box heights in pixels at (N,) foot rows in pixels."""
        rows = np.asarray(foot_row_px, np.float64)
        return np.asarray(self.slope * rows + self.offset_px, np.float64)


def _fit_line(rows: F64, heights: F64, weights: F64) -> tuple[float, float] | None:
    """Weighted least-squares line through (row, height); None when the rows do not
    spread enough to show a slope, or the slope comes out non-positive (a camera above
    head height sees nearer feet lower and nearer people taller, always)."""
    w = weights / weights.sum()
    mean_row = float(w @ rows)
    mean_h = float(w @ heights)
    var = float(w @ (rows - mean_row) ** 2)
    if math.sqrt(max(var, 0.0)) < MIN_ROW_SPREAD * float(np.median(heights)):
        return None
    slope = float(w @ ((rows - mean_row) * (heights - mean_h))) / var
    if slope <= 0:
        return None
    return slope, mean_h - slope * mean_row


def _cut(box: F64, frame_height_px: float | None) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(N,) boxes cut by the frame's top edge and by its bottom edge (none when the frame
    height is unknown)."""
    if frame_height_px is None:
        none = np.zeros(len(box), np.bool_)
        return none, none.copy()
    return box[:, 1] <= EDGE_MARGIN_PX, box[:, 3] >= frame_height_px - EDGE_MARGIN_PX


def fit_row_scale(
    tracks_box_xyxy: Sequence[ArrayLike], frame_height_px: float | None = None
) -> RowScale | None:
    """The line of box height against foot row of one camera's tracks.

    ``tracks_box_xyxy``: one (K_i, 4) pixel box array per track (NaN rows are ignored);
    boxes cut by the top or bottom edge of a frame ``frame_height_px`` high are left out
    (their height is not the person's). Each track weighs at most
    ``MAX_SAMPLES_PER_TRACK`` samples' worth. Three rounds of least squares, each leaving
    out the boxes more than ``OUTLIER_LOG_RATIO`` (log) off the line before. None with
    fewer than ``MIN_SAMPLES`` usable boxes.
    """
    rows_l: list[F64] = []
    heights_l: list[F64] = []
    weights_l: list[F64] = []
    for boxes in tracks_box_xyxy:
        every: F64 = np.asarray(boxes, np.float64).reshape(-1, 4)
        usable = every[np.isfinite(every).all(axis=1) & (every[:, 3] > every[:, 1])]
        top, bottom = _cut(usable, frame_height_px)
        b = usable[~top & ~bottom]
        if len(b) == 0:
            continue
        rows_l.append(b[:, 3])
        heights_l.append(b[:, 3] - b[:, 1])
        weights_l.append(np.full(len(b), min(1.0, MAX_SAMPLES_PER_TRACK / len(b))))
    if not rows_l:
        return None
    rows = np.concatenate(rows_l)
    heights = np.concatenate(heights_l)
    weights = np.concatenate(weights_l)
    if len(rows) < MIN_SAMPLES:
        return None
    keep = np.ones(len(rows), np.bool_)
    line = None
    for _ in range(3):
        if keep.sum() < MIN_SAMPLES:
            break
        line = _fit_line(rows[keep], heights[keep], weights[keep])
        if line is None:
            return None
        slope, offset = line
        expected = slope * rows + offset
        with np.errstate(invalid="ignore", divide="ignore"):
            off = np.abs(np.log(heights / expected))
        keep = np.isfinite(off) & (off <= OUTLIER_LOG_RATIO)
    if line is None:
        return None
    return RowScale(line[0], line[1], len(rows))


def face_body_height(t_s: ArrayLike, face_px: ArrayLike) -> F64:
    """(K,) px: the height of a standing adult's whole body that a track's faces show at
    each of its (K,) times: the median of the faces (K,) px (NaN where none) within
    ``FACE_WINDOW_S`` around it over ``FACE_WIDTH_PER_BOX_HEIGHT``; NaN where fewer than
    ``MIN_WINDOW_FACES`` were seen there."""
    t = np.asarray(t_s, np.float64).reshape(-1)
    face = np.asarray(face_px, np.float64).reshape(-1)
    if len(t) != len(face):
        raise ValueError(f"{len(t)} times but {len(face)} face widths")
    seen = np.isfinite(face) & (face > 0)
    # The path is in time order: each window is a slice, and running sums count it.
    lo = np.searchsorted(t, t - FACE_WINDOW_S / 2, side="left")
    hi = np.searchsorted(t, t + FACE_WINDOW_S / 2, side="right")
    counts = np.concatenate([[0], np.cumsum(seen)])
    body = np.full(len(t), np.nan)
    for k in np.flatnonzero(counts[hi] - counts[lo] >= MIN_WINDOW_FACES).tolist():
        window = face[lo[k] : hi[k]]
        body[k] = float(np.median(window[seen[lo[k] : hi[k]]])) / FACE_WIDTH_PER_BOX_HEIGHT
    return body


def rescale_to_foot_row(
    floor_xy_m: ArrayLike,
    box_xyxy: ArrayLike,
    scale: RowScale,
    frame_height_px: float | None = None,
    body_height_px: ArrayLike | None = None,
) -> F64:
    """Height-model positions (N, 2) m of (N, 4) px boxes moved to where an adult of
    average height with feet on the box's bottom row stands: both coordinates times
    ``box height / expected height`` (the level model's positions scale with
    1 / box height).

    A box cut by the bottom edge of a frame ``frame_height_px`` high has no feet in
    view: its foot row is where an average adult's feet would be under its top row
    (``top = row - slope * row - offset``, solved for ``row``), which a person close
    to the camera needs (the edge row puts them metres too far). So is a box shorter
    than ``HIDDEN_FEET_RATIO`` of the expected height at its bottom row: legs hidden
    behind a counter, a car or someone in front.

    ``body_height_px`` (N,) (`face_body_height`, NaN where unknown) is the whole body a
    face shows. A box with a body more than ``HIDDEN_FACE_RATIO`` times an adult's at
    its bottom row has its feet hidden lower down too; and every box with hidden feet
    and a known body is placed with its feet that far below its top row: the top row
    carries the person's stature, a face far less (a 1.83 m contact behind a block was
    placed 1.4 m too far by her top row, 0.1 m by her face and 0.4 m by her face scaled
    to an average head; docs/benchmarks.md). All hidden feet go by the face where one
    is known, so that two people side by side, one of them just above the ratio, are
    placed by one rule. Boxes cut at both edges, and rows whose expected height is not
    positive, keep their position."""
    xy = np.asarray(floor_xy_m, np.float64).reshape(-1, 2)
    box = np.asarray(box_xyxy, np.float64).reshape(-1, 4)
    if len(box) != len(xy):
        raise ValueError(f"floor_xy_m has {len(xy)} rows but box_xyxy {len(box)}")
    foot_row = box[:, 3].copy()
    top, bottom = _cut(box, frame_height_px)
    height = box[:, 3] - box[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        short = height < HIDDEN_FEET_RATIO * scale.expected_height_px(foot_row)
    feet_hidden = (bottom | short) & ~top
    by_face: NDArray[np.bool_] = np.zeros(len(box), np.bool_)
    if body_height_px is not None:
        body = np.asarray(body_height_px, np.float64).reshape(-1)
        if len(body) != len(box):
            raise ValueError(f"body_height_px has {len(body)} rows but box_xyxy {len(box)}")
        with np.errstate(invalid="ignore"):
            wide = body > HIDDEN_FACE_RATIO * scale.expected_height_px(foot_row)
        by_face = np.isfinite(body) & (feet_hidden | wide) & ~top
        foot_row[by_face] = box[by_face, 1] + body[by_face]
    row_placed = feet_hidden & ~by_face
    if scale.slope < 1.0:
        foot_row[row_placed] = (box[row_placed, 1] + scale.offset_px) / (1.0 - scale.slope)
    expected = scale.expected_height_px(foot_row)
    factor = np.ones(len(xy))
    ok = (expected > 0) & (height > 0) & ~(top & bottom)
    if scale.slope >= 1.0:
        ok &= ~row_placed
    factor[ok] = height[ok] / expected[ok]
    return np.asarray(xy * factor[:, None], np.float64)
