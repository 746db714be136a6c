"""Pure box geometry: IoU, non-maximum suppression, letterbox mapping.

Boxes are ``box_xyxy`` arrays of shape (N, 4): pixel corners x1, y1, x2, y2 with
x2 >= x1 and y2 >= y1 for a valid box (degenerate boxes have area 0 and overlap nothing).
Every function here is side-effect free and vectorised over N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float32]
IndexArray = NDArray[np.intp]

FACE_WIDTH_PER_BOX_HEIGHT = 0.085
"""A face box's width as a share of the person box of a standing adult seen whole
(measured on the demo town's café camera: 28-29 px faces on 330-350 px boxes; the
shared video's walkers give 0.083-0.096 per track, docs/benchmarks.md)."""


def _as_boxes(boxes: ArrayLike, name: str) -> NDArray[np.float64]:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4), got {arr.shape}")
    return arr


def box_area(boxes_xyxy: ArrayLike) -> FloatArray:
    """Areas of (N, 4) boxes in square pixels, shape (N,); inverted boxes count as 0."""
    b = _as_boxes(boxes_xyxy, "boxes_xyxy")
    w = np.clip(b[:, 2] - b[:, 0], 0.0, None)
    h = np.clip(b[:, 3] - b[:, 1], 0.0, None)
    return (w * h).astype(np.float32)


def box_iou_batch(boxes_a_xyxy: ArrayLike, boxes_b_xyxy: ArrayLike) -> FloatArray:
    """Intersection over union of every pair: (N, 4) x (M, 4) -> (N, M) float32 in [0, 1].

    Pairs whose union is empty (two degenerate boxes) get IoU 0 rather than NaN.
    """
    a = _as_boxes(boxes_a_xyxy, "boxes_a_xyxy")
    b = _as_boxes(boxes_b_xyxy, "boxes_b_xyxy")
    # float64 inside: float32 loses whole pixels of area on 4K frames, which matters at
    # IoU thresholds close to the decision boundary.
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = box_area(a).astype(np.float64)
    area_b = box_area(b).astype(np.float64)
    union = area_a[:, None] + area_b[None, :] - inter
    iou: NDArray[np.float64] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou.astype(np.float32)


def nms_xyxy(boxes_xyxy: ArrayLike, scores: ArrayLike, iou_threshold: float) -> IndexArray:
    """Greedy non-maximum suppression.

    boxes_xyxy: (N, 4); scores: (N,). A box is dropped when its IoU with a kept,
    higher-scoring box is strictly greater than ``iou_threshold``.
    Returns the kept indices into the input, shape (K,), highest score first; ties keep
    the lower index first so the result does not depend on the sort's stability.
    """
    b = _as_boxes(boxes_xyxy, "boxes_xyxy")
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(s) != len(b):
        raise ValueError(f"boxes_xyxy has {len(b)} rows but scores has {len(s)}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    if len(b) == 0:
        return np.zeros((0,), dtype=np.intp)
    order = np.lexsort((np.arange(len(s)), -s))
    # One IoU matrix up front, then a greedy pass over rows: detectors hand us a few
    # hundred candidates after score filtering, so N^2 floats is cheap and the loop body
    # stays a single vectorised row operation.
    iou = box_iou_batch(b[order], b[order])
    suppressed = np.zeros(len(order), dtype=bool)
    keep: list[int] = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    kept: IndexArray = order[np.asarray(keep, dtype=np.intp)].astype(np.intp)
    return kept


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into a fixed network input without distortion.

    The source image was scaled by ``scale`` (same on both axes) and placed at
    (``pad_x``, ``pad_y``) pixels inside the ``input_w`` x ``input_h`` network input.
    """

    scale: float
    pad_x: float
    pad_y: float
    input_w: int
    input_h: int

    def to_source(self, boxes_xyxy: ArrayLike) -> FloatArray:
        """Map (N, 4) boxes from network-input pixels back to source-image pixels."""
        b = _as_boxes(boxes_xyxy, "boxes_xyxy").copy()
        b[:, [0, 2]] = (b[:, [0, 2]] - self.pad_x) / self.scale
        b[:, [1, 3]] = (b[:, [1, 3]] - self.pad_y) / self.scale
        return b.astype(np.float32)


def letterbox_fit(src_w: int, src_h: int, input_w: int, input_h: int) -> Letterbox:
    """The largest uniform scale that fits src into input, centred (padding split evenly).

    Pads are whole pixels so that the resized image lands on the pixel grid exactly.
    """
    if src_w <= 0 or src_h <= 0:
        raise ValueError(f"source size must be positive, got {src_w}x{src_h}")
    scale = min(input_w / src_w, input_h / src_h)
    new_w = round(src_w * scale)
    new_h = round(src_h * scale)
    return Letterbox(
        scale=scale,
        pad_x=float((input_w - new_w) // 2),
        pad_y=float((input_h - new_h) // 2),
        input_w=input_w,
        input_h=input_h,
    )


def clip_boxes(boxes_xyxy: ArrayLike, width: int, height: int) -> FloatArray:
    """Clip (N, 4) boxes to the image [0, width] x [0, height]; returns float32 (N, 4)."""
    b = _as_boxes(boxes_xyxy, "boxes_xyxy").copy()
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0.0, float(width))
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0.0, float(height))
    return b.astype(np.float32)
