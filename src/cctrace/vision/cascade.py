"""Faces searched only where a person's face can be: the head end of each person box.

Ingestion keeps a face only when `cctrace.tracking.faces.link_faces_to_tracks` can attach
it to a person (its centre within the person box horizontally, between a tenth of the box
height above the top and a third of the height below it). A full-frame face detector
spends most of its time on pixels where no such face can lie: at 1080p YuNet costs about
80 ms a frame, while the head ends of a few people are a few per cent of the frame.

`faces_in_heads` cuts the region around each head end (the feasible centres plus room for
the face itself), scales small ones up, packs them into one mosaic with black gaps, and
runs the detector once on the mosaic (one call for all the people of a frame). Boxes and
landmarks are mapped back to frame pixels; faces found twice (overlapping people) are
merged by NMS. Measured against the full-frame pass in docs/benchmarks.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cctrace.core.geometry import FACE_WIDTH_PER_BOX_HEIGHT, nms_xyxy
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.faces import FaceDetector

MIN_CELL_PX = 128
"""Regions are scaled up so that their longer side is at least this (small people's faces
grow to a size YuNet reads reliably) and never scaled down: YuNet loses faces it finds in
the full frame as soon as they shrink (a 60 px face halved was missed on the shared video)."""
GAP_PX = 16
"""Black border between cells, so that no detection spans two people."""
ABOVE_FRAC = 0.1
"""Face centres may lie up to this fraction of the box height above the box top (boxes
clip hair), as `link_faces_to_tracks` allows."""
BELOW_FRAC = 1 / 3
"""... and down to this fraction below the top."""
TARGET_FACE_PX = 40.0
"""Regions are also scaled up so that the face they should hold is at least this wide.
YuNet's landmarks on faces under about 30 px are a pixel or two off, and at that size a
pixel moves the aligned crop enough to halve SFace's similarity to the same person's
photo: on the café clip the patient's cosine to his reference fell from 0.58 (full frame)
to 0.36 on an unscaled mosaic, and rose to 0.69 with this scale (docs/benchmarks.md)."""
MAX_SCALE = 4.0
"""No region is scaled up more than this (a far person's region stays small)."""
MARGIN_FRAC = 0.1
"""Room around the feasible centres for the face itself, as a fraction of box height
(an upright face is about a seventh of a person's height)."""
MIN_REGION_PX = 16.0
"""Regions narrower than this cannot hold a face wide enough to be embedded (20 px)."""
NMS_IOU = 0.3


@dataclass(frozen=True)
class HeadCells:
    """Where each region went in the mosaic. ``region_xyxy`` (K, 4) frame pixels;
    ``cell_xyxy`` (K, 4) mosaic pixels of the region's scaled rectangle; ``scale`` (K,)
    mosaic pixels per frame pixel."""

    region_xyxy: FloatArray
    cell_xyxy: FloatArray
    scale: FloatArray


def face_regions_xyxy(persons_xyxy: FloatArray) -> FloatArray:
    """(N, 4) person boxes -> (N, 4) regions where a linkable face can lie, frame pixels
    (not clipped to the frame)."""
    b = np.asarray(persons_xyxy, np.float32).reshape(-1, 4)
    h = np.maximum(b[:, 3] - b[:, 1], 1.0)
    m = MARGIN_FRAC * h
    return np.asarray(
        np.stack(
            [b[:, 0] - m, b[:, 1] - ABOVE_FRAC * h - m, b[:, 2] + m, b[:, 1] + BELOW_FRAC * h + m],
            axis=1,
        ),
        np.float32,
    )


def build_mosaic(
    image_bgr: ImageBGR,
    regions_xyxy: FloatArray,
    row_width_px: int = 1920,
    min_scale: FloatArray | None = None,
) -> tuple[ImageBGR, HeadCells]:
    """Pack ``regions_xyxy`` (K, 4) of ``image_bgr`` into one mosaic, shelf by shelf.

    Region corners are rounded out to whole pixels first, so that a cell's origin is
    exactly the frame pixel its crop starts at (a fractional corner shifted every face
    found in it by up to a pixel). Each region keeps its aspect ratio and is scaled by
    ``max(1, MIN_CELL_PX / longer side, min_scale)``; parts of a region outside the frame
    stay black, as do the gaps."""
    regions = np.asarray(regions_xyxy, np.float32).reshape(-1, 4)
    regions = np.concatenate([np.floor(regions[:, :2]), np.ceil(regions[:, 2:])], axis=1)
    k = len(regions)
    scale = np.maximum(
        1.0,
        MIN_CELL_PX
        / np.maximum(np.maximum(regions[:, 2] - regions[:, 0], regions[:, 3] - regions[:, 1]), 1.0),
    ).astype(np.float32)
    if min_scale is not None:
        scale = np.maximum(scale, np.asarray(min_scale, np.float32).reshape(-1))
    size = np.ceil((regions[:, 2:] - regions[:, :2]) * scale[:, None]).astype(np.int64)
    cells = np.zeros((k, 4), np.float32)
    x = y = GAP_PX
    shelf_h = 0
    for i in range(k):
        w, h = int(size[i, 0]), int(size[i, 1])
        if x > GAP_PX and x + w + GAP_PX > row_width_px:
            x, y, shelf_h = GAP_PX, y + shelf_h + GAP_PX, 0
        cells[i] = (x, y, x + w, y + h)
        x += w + GAP_PX
        shelf_h = max(shelf_h, h)
    width = int(cells[:, 2].max()) + GAP_PX if k else GAP_PX
    height = int(cells[:, 3].max()) + GAP_PX if k else GAP_PX
    mosaic = np.zeros((height, width, 3), np.uint8)
    h_img, w_img = image_bgr.shape[:2]
    for i in range(k):
        x1, y1, x2, y2 = (float(v) for v in regions[i])
        s = float(scale[i])
        ox, oy = int(cells[i, 0]), int(cells[i, 1])
        cw, ch = int(size[i, 0]), int(size[i, 1])
        ix1, iy1 = max(0, math.floor(x1)), max(0, math.floor(y1))
        ix2, iy2 = min(w_img, math.ceil(x2)), min(h_img, math.ceil(y2))
        if ix2 <= ix1 or iy2 <= iy1:
            continue
        # Destination of the visible part of the region, inside its cell.
        dx1 = min(cw, max(0, round((ix1 - x1) * s)))
        dy1 = min(ch, max(0, round((iy1 - y1) * s)))
        dx2 = min(cw, max(dx1 + 1, round((ix2 - x1) * s)))
        dy2 = min(ch, max(dy1 + 1, round((iy2 - y1) * s)))
        if dx2 <= dx1 or dy2 <= dy1:
            continue
        crop = image_bgr[iy1:iy2, ix1:ix2]
        if crop.shape[1] != dx2 - dx1 or crop.shape[0] != dy2 - dy1:
            crop = cv2.resize(crop, (dx2 - dx1, dy2 - dy1), interpolation=cv2.INTER_LINEAR)
        mosaic[oy + dy1 : oy + dy2, ox + dx1 : ox + dx2] = crop
    return mosaic, HeadCells(regions, cells, scale)


def map_to_frame(found: Detections, cells: HeadCells, w_img: int, h_img: int) -> Detections:
    """Faces found on the mosaic, back in frame pixels; those centred in a gap are
    dropped."""
    if len(found) == 0 or len(cells.scale) == 0:
        return Detections.empty(with_landmarks=True)
    centre = (found.box_xyxy[:, :2] + found.box_xyxy[:, 2:]) / 2
    c = cells.cell_xyxy
    inside = (
        (centre[:, None, 0] >= c[None, :, 0])
        & (centre[:, None, 0] < c[None, :, 2])
        & (centre[:, None, 1] >= c[None, :, 1])
        & (centre[:, None, 1] < c[None, :, 3])
    )
    idx = np.flatnonzero(inside.any(axis=1))
    if len(idx) == 0:
        return Detections.empty(with_landmarks=True)
    cell = np.argmax(inside[idx], axis=1)
    s = cells.scale[cell][:, None, None]
    origin = c[cell, None, :2]
    corner = cells.region_xyxy[cell, None, :2]
    box = (found.box_xyxy[idx].reshape(-1, 2, 2) - origin) / s + corner
    box = np.clip(box.reshape(-1, 4), 0, [w_img, h_img, w_img, h_img])
    assert found.landmarks_xy is not None
    lm = (found.landmarks_xy[idx] - origin) / s + corner
    return Detections(box.astype(np.float32), found.score[idx], lm.astype(np.float32))


def faces_in_heads(detector: FaceDetector, image_bgr: ImageBGR, persons: Detections) -> Detections:
    """Faces (with landmarks) in the head regions of ``persons``, frame pixels; one
    detector call on a mosaic of all regions wide enough to hold an embeddable face."""
    regions = face_regions_xyxy(persons.box_xyxy)
    heights = persons.box_xyxy[:, 3] - persons.box_xyxy[:, 1]
    wide = (regions[:, 2] - regions[:, 0]) >= MIN_REGION_PX
    regions, heights = regions[wide], heights[wide]
    if len(regions) == 0:
        return Detections.empty(with_landmarks=True)
    face_px = np.maximum(FACE_WIDTH_PER_BOX_HEIGHT * heights, 1.0)
    mosaic, cells = build_mosaic(
        image_bgr, regions, min_scale=np.clip(TARGET_FACE_PX / face_px, 1.0, MAX_SCALE)
    )
    h_img, w_img = image_bgr.shape[:2]
    faces = map_to_frame(detector.detect(mosaic), cells, w_img, h_img)
    if len(faces) < 2:
        return faces
    keep = nms_xyxy(faces.box_xyxy, faces.score, NMS_IOU)
    return faces[np.asarray(keep, np.intp)]
