"""Synthetic face masks drawn onto real faces, for measuring detectors and the mask
classifier where no real masked photos are at hand.

A mask is a polygon laid out in a face frame built from the five landmarks (YuNet
order: right eye, left eye, nose tip, right and left mouth corners, i.e. image-left
eye first): the origin is the midpoint of the eyes, ``u`` the vector from the first eye
to the second (one inter-ocular distance) and ``v`` the vector from the eye midpoint to
the mouth midpoint. The frame is affine, so head roll, scale and (roughly) yaw carry
over. Every style covers the nose from its bridge down, the mouth and the chin, and
spans cheek to cheek, as a properly worn mask does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR

MaskStyle = Literal["surgical", "cloth", "kn95", "patterned"]
STYLES: tuple[MaskStyle, ...] = ("surgical", "cloth", "kn95", "patterned")

COLOURS_BGR: dict[str, tuple[int, int, int]] = {
    "white": (236, 238, 240),
    "light_blue": (228, 204, 158),
    "black": (34, 32, 30),
    "grey": (128, 124, 120),
    "pink": (196, 182, 240),
}

# Outlines in the face frame (u across, v down; see module docstring). Values come from
# average adult proportions: the face is about 2.2 inter-ocular distances wide at the
# cheeks, the nose tip sits about 0.55 of the eye-to-mouth distance below the eyes and
# the chin about 0.8 of it below the mouth.
_OUTLINE_UV: dict[str, tuple[tuple[float, float], ...]] = {
    "surgical": (
        (-1.05, 0.42),
        (-0.5, 0.28),
        (0.0, 0.24),
        (0.5, 0.28),
        (1.05, 0.42),
        (1.0, 1.25),
        (0.6, 1.68),
        (0.0, 1.82),
        (-0.6, 1.68),
        (-1.0, 1.25),
    ),
    "cloth": (
        (-1.0, 0.5),
        (-0.6, 0.3),
        (-0.2, 0.2),
        (0.0, 0.18),
        (0.2, 0.2),
        (0.6, 0.3),
        (1.0, 0.5),
        (1.02, 1.0),
        (0.85, 1.45),
        (0.45, 1.75),
        (0.0, 1.85),
        (-0.45, 1.75),
        (-0.85, 1.45),
        (-1.02, 1.0),
    ),
    "kn95": ((-0.95, 0.5), (0.0, 0.18), (0.95, 0.5), (0.9, 1.3), (0.0, 1.9), (-0.9, 1.3)),
}
_OUTLINE_UV["patterned"] = _OUTLINE_UV["cloth"]


@dataclass(frozen=True)
class FaceFrame:
    """Affine face frame: pixel = origin + u * u_vec + v * v_vec (all (2,) pixels)."""

    origin_xy: NDArray[np.float64]
    u_vec: NDArray[np.float64]
    v_vec: NDArray[np.float64]

    @classmethod
    def from_landmarks(cls, landmarks_xy: FloatArray) -> FaceFrame:
        """Frame from five YuNet-order landmarks, (5, 2) pixels."""
        lm = np.asarray(landmarks_xy, dtype=np.float64).reshape(5, 2)
        eyes = (lm[0] + lm[1]) / 2
        mouth = (lm[3] + lm[4]) / 2
        return cls(eyes, lm[1] - lm[0], mouth - eyes)

    def to_px(self, uv: NDArray[np.float64]) -> NDArray[np.float64]:
        """Face-frame points (K, 2) to pixel points (K, 2)."""
        return self.origin_xy + uv[:, :1] * self.u_vec + uv[:, 1:2] * self.v_vec


def _shade(colour_bgr: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    b, g, r = (int(np.clip(c * factor, 0, 255)) for c in colour_bgr)
    return b, g, r


def _pattern(shape_hw: tuple[int, int], colour_bgr: tuple[int, int, int], cell_px: int) -> ImageBGR:
    """A check-and-dot print on the base colour, (H, W, 3)."""
    h, w = shape_hw
    ys, xs = np.mgrid[0:h, 0:w]
    base = np.empty((h, w, 3), dtype=np.uint8)
    base[:] = colour_bgr
    contrast = _shade(colour_bgr, 0.55) if sum(colour_bgr) > 300 else (90, 60, 200)
    checks = ((xs // cell_px) + (ys // cell_px)) % 2 == 0
    base[checks] = contrast
    dots = ((xs % cell_px - cell_px / 2) ** 2 + (ys % cell_px - cell_px / 2) ** 2) < (
        cell_px / 4
    ) ** 2
    base[dots] = (250, 250, 250) if sum(colour_bgr) < 600 else (40, 40, 160)
    return base


def draw_mask(
    image_bgr: ImageBGR,
    landmarks_xy: FloatArray,
    style: MaskStyle = "surgical",
    colour_bgr: tuple[int, int, int] = COLOURS_BGR["light_blue"],
) -> ImageBGR:
    """A copy of ``image_bgr`` (H, W, 3) uint8 with a mask drawn on one face.

    landmarks_xy: (5, 2) pixels, YuNet order. Fabric shading (pleats, seams, a soft
    lower shadow) keeps the mask from being a flat sticker that a classifier could key
    on trivially.
    """
    if style not in _OUTLINE_UV:
        raise ValueError(f"unknown mask style {style!r}; choose one of {', '.join(STYLES)}")
    frame = FaceFrame.from_landmarks(landmarks_xy)
    outline = frame.to_px(np.asarray(_OUTLINE_UV[style], dtype=np.float64))
    eye_px = float(np.linalg.norm(frame.u_vec))
    line_px = max(1, round(eye_px / 25))
    h, w = image_bgr.shape[:2]

    # Paint the fabric on a full-size layer, then composite through the polygon's
    # anti-aliased alpha so edges blend like a real object's would at any scale.
    layer = np.empty_like(image_bgr)
    layer[:] = colour_bgr
    if style == "patterned":
        layer = _pattern((h, w), colour_bgr, max(3, round(eye_px / 4)))
    # Lower half in soft shadow: fabric under the chin faces away from overhead light.
    shade_rows = frame.to_px(np.array([[0.0, 1.0], [0.0, 1.9]]))
    y0, y1 = shade_rows[0, 1], max(shade_rows[1, 1], shade_rows[0, 1] + 1)
    ramp = np.clip((np.arange(h, dtype=np.float32) - y0) / (y1 - y0), 0, 1)
    layer = (layer.astype(np.float32) * (1 - 0.25 * ramp)[:, None, None]).astype(np.uint8)

    dark = _shade(colour_bgr, 0.72) if sum(colour_bgr) > 150 else _shade((70, 70, 70), 1.0)
    if style == "surgical":
        for v in (0.75, 1.05, 1.35):  # three pleats across the face
            ends = frame.to_px(np.array([[-1.0, v], [1.0, v]])).round().astype(np.int32)
            cv2.line(layer, tuple(ends[0]), tuple(ends[1]), dark, line_px, cv2.LINE_AA)
    elif style in ("cloth", "patterned"):
        seam = frame.to_px(np.array([[0.0, 0.18], [0.0, 1.85]])).round().astype(np.int32)
        cv2.line(layer, tuple(seam[0]), tuple(seam[1]), dark, line_px, cv2.LINE_AA)
    else:  # kn95: the vertical fold and the nose clip
        fold = frame.to_px(np.array([[0.0, 0.18], [0.0, 1.9]])).round().astype(np.int32)
        cv2.line(layer, tuple(fold[0]), tuple(fold[1]), dark, line_px, cv2.LINE_AA)

    scale = 8  # sub-pixel polygon vertices for cv2.fillPoly
    alpha = np.zeros((h, w), dtype=np.uint8)
    pts = np.round(outline * scale).astype(np.int32)
    cv2.fillPoly(alpha, [pts], 255, cv2.LINE_AA, shift=3)
    cv2.polylines(layer, [pts], True, dark, line_px, cv2.LINE_AA, shift=3)
    a = (alpha.astype(np.float32) / 255)[:, :, None]
    out = image_bgr.astype(np.float32) * (1 - a) + layer.astype(np.float32) * a
    out_u8: ImageBGR = np.clip(out + 0.5, 0, 255).astype(np.uint8)

    # Ear loops: from the mask's upper and lower side corners towards the ears.
    loop = _shade(colour_bgr, 0.9) if style != "patterned" else (230, 230, 230)
    for side in (-1.0, 1.0):
        upper = frame.to_px(np.array([[side * 1.02, 0.45], [side * 1.25, 0.2]]))
        lower = frame.to_px(np.array([[side * 0.98, 1.3], [side * 1.25, 0.9]]))
        for seg in (upper, lower):
            p = np.round(seg * scale).astype(np.int32)
            cv2.line(out_u8, tuple(p[0]), tuple(p[1]), loop, line_px, cv2.LINE_AA, shift=3)
    return out_u8
