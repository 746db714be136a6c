"""Redaction of bystanders in evidence images: pure functions on boxes and pixels.

Every face but the patient's (and one unblurred contact's) is pixelated, stable over time:

- **tracks**: every tracked person's image boxes (``Sighting.path_box_xyxy`` at
  ``path_t_s``) place their head in every frame, whether or not a face detector sees it;
  between two stored samples the head region covers both samples' regions;
- **detected faces**: every face a detector finds outside the kept heads is pixelated in
  its own frame and in every frame within ``dilate_s`` of it (temporal dilation);
- **fail closed**: a kept person whose box is unknown at a frame keeps nothing clear (all
  faces blurred); a present person whose boxes were never stored pixelates the whole
  frame; where a bystander's head overlaps the patient's, the bystander wins.

Boxes are ``(N, 4)`` float32 pixel corners ``x1, y1, x2, y2``; times are seconds (any
origin, the same for every argument).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import FloatArray, ImageBGR

HEAD_HEIGHT_FRACTION = 0.25
"""The head (with hair and neck, and slack) lies in the top quarter of a person box."""
HEAD_PAD_FRACTION = 0.3
"""Padding around a head region, as a share of its larger side (box noise, motion)."""
FACE_PAD_FRACTION = 0.5
"""Padding around a detected face box, as a share of its larger side."""
HOLD_S = 0.6
"""A track's first and last boxes also hold this long before and after (the tracker
confirms a person a few frames after they appear)."""
DUPLICATE_IOU = 0.6
"""A track whose box overlaps a kept person's this much is the same body (a duplicate
track of the patient), not a bystander."""
PIXEL_CELLS = 4
"""A blurred region becomes at most this many cells across its longer side."""


@dataclass(frozen=True)
class TrackBoxes:
    """One tracked person's image boxes: ``t_s`` (K,) increasing, ``box_xyxy`` (K, 4).

    ``box_xyxy`` None: the person was tracked from ``t_start_s`` to ``t_end_s`` but their
    boxes were never stored (they cannot be located, so redaction fails closed).
    ``keep``: the patient or the one unblurred contact.
    """

    t_s: NDArray[np.float64]
    box_xyxy: FloatArray | None
    t_start_s: float
    t_end_s: float
    keep: bool = False


@dataclass(frozen=True)
class FramePlan:
    """Who is where in one frame: ``keep_heads`` (K, 4) stay clear, ``other_heads``
    (B, 4) are pixelated; ``unlocated`` when someone present cannot be placed."""

    keep_heads: FloatArray
    other_heads: FloatArray
    unlocated: bool


def _boxes(rows: Sequence[FloatArray] | FloatArray) -> FloatArray:
    if len(rows) == 0:
        return np.zeros((0, 4), np.float32)
    return np.asarray(np.stack(list(rows)), np.float32).reshape(-1, 4)


def pad_boxes(boxes_xyxy: FloatArray, fraction: float) -> FloatArray:
    """(N, 4) boxes grown on every side by ``fraction`` of their larger side."""
    b = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])[:, None] * np.float32(fraction)
    return np.asarray(b + np.concatenate([-side, -side, side, side], axis=1), np.float32)


def head_regions(persons_xyxy: FloatArray) -> FloatArray:
    """(N, 4) padded head regions over the top of (N, 4) person boxes."""
    b = np.asarray(persons_xyxy, np.float32).reshape(-1, 4)
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    head_h = h * HEAD_HEIGHT_FRACTION
    head_w = np.maximum(w, head_h)
    cx = (b[:, 0] + b[:, 2]) / 2
    heads = np.stack([cx - head_w / 2, b[:, 1], cx + head_w / 2, b[:, 1] + head_h], axis=1)
    return pad_boxes(np.asarray(heads, np.float32), HEAD_PAD_FRACTION)


def _present(track: TrackBoxes, t_s: float, hold_s: float) -> bool:
    first = min(track.t_start_s, float(track.t_s[0])) if len(track.t_s) else track.t_start_s
    last = max(track.t_end_s, float(track.t_s[-1])) if len(track.t_s) else track.t_end_s
    return first - hold_s <= t_s <= last + hold_s


def track_box_at(track: TrackBoxes, t_s: float, hold_s: float = HOLD_S) -> FloatArray | None:
    """The (4,) box covering the person at ``t_s``: the union of the two stored boxes
    around it (conservative under any motion between them), the nearest one before the
    first or after the last; None when the person is absent or was never located."""
    if track.box_xyxy is None or len(track.t_s) == 0 or not _present(track, t_s, hold_s):
        return None
    t = track.t_s
    i = int(np.searchsorted(t, t_s, side="left"))
    lo, hi = max(i - 1, 0), min(i, len(t) - 1)
    if i < len(t) and t[i] == t_s:
        lo = hi = i
    a, b = track.box_xyxy[lo], track.box_xyxy[hi]
    return np.array(
        [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])], np.float32
    )


def plan_at(tracks: Sequence[TrackBoxes], t_s: float, hold_s: float = HOLD_S) -> FramePlan:
    """Kept and other heads at ``t_s``. A non-kept track overlapping a kept person's box
    by ``DUPLICATE_IOU`` is that body's duplicate track and stays clear with it."""
    keep: list[FloatArray] = []
    others: list[FloatArray] = []
    unlocated = False
    for track in tracks:
        if not _present(track, t_s, hold_s):
            continue
        box = track_box_at(track, t_s, hold_s)
        if box is None:
            unlocated |= not track.keep  # present, but where? (a kept one: blur all faces)
            continue
        (keep if track.keep else others).append(box)
    keep_boxes, other_boxes = _boxes(keep), _boxes(others)
    if len(keep_boxes) and len(other_boxes):
        duplicate = box_iou_batch(other_boxes, keep_boxes).max(axis=1) >= DUPLICATE_IOU
        other_boxes = other_boxes[~duplicate]
    return FramePlan(head_regions(keep_boxes), head_regions(other_boxes), unlocated)


def centres_inside(boxes_xyxy: FloatArray, regions_xyxy: FloatArray) -> NDArray[np.bool_]:
    """(N,) bool: the centre of box n lies inside any of the (M, 4) regions."""
    b = np.asarray(boxes_xyxy, np.float32).reshape(-1, 4)
    r = np.asarray(regions_xyxy, np.float32).reshape(-1, 4)
    if len(b) == 0 or len(r) == 0:
        return np.zeros(len(b), np.bool_)
    cx, cy = (b[:, None, 0] + b[:, None, 2]) / 2, (b[:, None, 1] + b[:, None, 3]) / 2
    inside = (cx >= r[None, :, 0]) & (cx <= r[None, :, 2])
    inside &= (cy >= r[None, :, 1]) & (cy <= r[None, :, 3])
    return np.asarray(inside.any(axis=1), np.bool_)


def stranger_faces(faces_xyxy: FloatArray, plan: FramePlan) -> FloatArray:
    """The (F', 4) detected faces not belonging to a kept head. With no kept head known
    in the frame, every face is a stranger's (fail closed)."""
    faces = np.asarray(faces_xyxy, np.float32).reshape(-1, 4)
    return faces[~centres_inside(faces, plan.keep_heads)]


def dilate_in_time(
    times_s: Sequence[float], faces_per_frame: Sequence[FloatArray], window_s: float
) -> list[FloatArray]:
    """For each frame, every face box seen in any frame within ``window_s`` of it: a
    face the detector misses for a few frames stays covered where it was last seen."""
    t = np.asarray(times_s, np.float64)
    out = []
    for ti in t:
        near = np.flatnonzero(np.abs(t - ti) <= window_s + 1e-9)
        out.append(_boxes([b for j in near for b in faces_per_frame[j]]))
    return out


def blur_regions(plan: FramePlan, stranger_faces_xyxy: FloatArray) -> tuple[FloatArray, int]:
    """The (R, 4) regions to pixelate and how many faces they stand for (bystander heads,
    plus detected faces not already inside one of them)."""
    faces = pad_boxes(stranger_faces_xyxy, FACE_PAD_FRACTION)
    extra = faces[~centres_inside(faces, plan.other_heads)]
    return _boxes([*plan.other_heads, *faces]), len(plan.other_heads) + len(extra)


def pixelate(image_bgr: ImageBGR, regions_xyxy: FloatArray, cells: int = PIXEL_CELLS) -> ImageBGR:
    """A copy of the image with each region reduced to at most ``cells`` blocks across its
    longer side (each block its mean colour): no face detector, and no person, can tell
    who was there."""
    out = image_bgr.copy()
    h, w = out.shape[:2]
    for x1, y1, x2, y2 in np.asarray(regions_xyxy, np.float32).reshape(-1, 4):
        ix1, iy1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        ix2, iy2 = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        if ix2 <= ix1 or iy2 <= iy1:
            continue
        roi = out[iy1:iy2, ix1:ix2]
        rh, rw = roi.shape[:2]
        cell = max(1.0, max(rh, rw) / cells)
        small = cv2.resize(
            roi,
            (max(1, round(rw / cell)), max(1, round(rh / cell))),
            interpolation=cv2.INTER_AREA,
        )
        out[iy1:iy2, ix1:ix2] = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
    return out


def pixelate_all(image_bgr: ImageBGR) -> ImageBGR:
    """The whole frame pixelated (someone present could not be located)."""
    h, w = image_bgr.shape[:2]
    cell = max(h, w) / 48
    small = cv2.resize(
        image_bgr,
        (max(1, round(w / cell)), max(1, round(h / cell))),
        interpolation=cv2.INTER_AREA,
    )
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST), np.uint8)


@dataclass(frozen=True)
class RedactedFrame:
    t_s: float
    image_bgr: ImageBGR
    blurred_faces: int
    unlocated: bool


def redact_frames(
    times_s: Sequence[float],
    images_bgr: Sequence[ImageBGR],
    faces_per_frame: Sequence[FloatArray],
    tracks: Sequence[TrackBoxes],
    dilate_s: float,
) -> list[RedactedFrame]:
    """Redact consecutive frames of one camera: ``faces_per_frame`` are the (F_i, 4) faces
    a detector found in each frame. Each face is classified in its own frame (kept head or
    stranger), then strangers are dilated in time and pixelated with every other head."""
    plans = [plan_at(tracks, t) for t in times_s]
    strangers = [stranger_faces(f, p) for f, p in zip(faces_per_frame, plans, strict=True)]
    dilated = dilate_in_time(times_s, strangers, dilate_s)
    out = []
    for t, image, plan, faces in zip(times_s, images_bgr, plans, dilated, strict=True):
        regions, count = blur_regions(plan, faces)
        if plan.unlocated:
            out.append(RedactedFrame(t, pixelate_all(image), count, True))
        else:
            out.append(RedactedFrame(t, pixelate(image, regions), count, False))
    return out
