"""Motion gating: skip analysing frames of a static camera where nothing changed.

A sampled frame is compared block by block with the last *analysed* frame (not the
previous sample, so slow changes add up). Skipping is allowed only when the last
analysed frame held no person and no live track: the detector then saw nothing, and an
unchanged image would show it nothing again. Any block whose mean absolute grey-level
change exceeds the threshold (a person entering, a light switched on, the camera
moving) forces analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import ImageBGR

THUMB_WH = (160, 90)
BLOCK_PX = 8
"""Blocks of 8×8 thumbnail pixels: 1/20 of the frame width (38 px at 768, 96 px at 1080p),
smaller than a person anywhere a camera can recognise a face."""


def motion_signature(image_bgr: ImageBGR) -> NDArray[np.float32]:
    """A small blurred grey thumbnail (90, 160) float32 that motion is measured on."""
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, THUMB_WH, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(small, (3, 3), 0), np.float32)


def block_change(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Largest mean absolute difference over BLOCK_PX×BLOCK_PX blocks, grey levels 0-255."""
    diff = np.abs(a - b)
    h, w = diff.shape
    hb, wb = h // BLOCK_PX, w // BLOCK_PX
    blocks = diff[: hb * BLOCK_PX, : wb * BLOCK_PX].reshape(hb, BLOCK_PX, wb, BLOCK_PX)
    return float(blocks.mean(axis=(1, 3)).max())


@dataclass
class MotionGate:
    """Decides per sampled frame whether it must be analysed.

    ``threshold`` 4 grey levels: H.264 noise on a static scene stays near 1, a person
    crossing a block changes it by tens (measured in docs/benchmarks.md).
    """

    threshold: float = 4.0
    _reference: NDArray[np.float32] | None = field(default=None, init=False, repr=False)
    _reference_empty: bool = field(default=False, init=False, repr=False)

    def should_analyse(self, image_bgr: ImageBGR, scene_empty: bool) -> bool:
        """True unless the scene was empty at the reference frame and nothing changed.

        ``scene_empty``: no live track right now (the caller's tracker knows).
        """
        if self._reference is None or not (scene_empty and self._reference_empty):
            return True
        return block_change(motion_signature(image_bgr), self._reference) > self.threshold

    def analysed(self, image_bgr: ImageBGR, persons_found: int) -> None:
        """Record the frame just analysed and whether it showed anybody."""
        self._reference = motion_signature(image_bgr)
        self._reference_empty = persons_found == 0

    def reset(self) -> None:
        self._reference = None
        self._reference_empty = False
