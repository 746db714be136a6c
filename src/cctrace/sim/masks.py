"""Synthetic face masks drawn onto real faces, for measuring detectors and the mask
classifier where no real masked photos are at hand.

A mask is a polygon laid out in a face frame built from the five landmarks (YuNet
order: right eye, left eye, nose tip, right and left mouth corners, i.e. image-left
eye first): the origin is the midpoint of the eyes, ``u`` the vector from the first eye
to the second (one inter-ocular distance) and ``v`` the vector from the eye midpoint to
the mouth midpoint. The frame is affine, so head roll, scale and (roughly) yaw carry
over. Every style covers the nose from its bridge down, the mouth and the chin, and
spans cheek to cheek, as a properly worn mask does; ``draw_mask``'s keywords pull the
upper edge up to the lower eyelids and add creases, grain and a nose clip, which is
what makes real masked faces hard for a face detector (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR

MaskStyle = Literal["surgical", "cloth", "kn95", "patterned", "n95"]
STYLES: tuple[MaskStyle, ...] = ("surgical", "cloth", "kn95", "patterned", "n95")

LOWER_LID_V = 0.12
"""Height of the lower eyelids in the face frame (v = 0 is the eye line, 1 the mouth):
the highest a mask pulled up over the nose bridge reaches (``top_v``)."""

COLOURS_BGR: dict[str, tuple[int, int, int]] = {
    "white": (236, 238, 240),
    "light_blue": (228, 204, 158),
    "black": (34, 32, 30),
    "grey": (128, 124, 120),
    "pink": (196, 182, 240),
    "navy": (88, 48, 30),
    "beige": (150, 180, 205),
    "olive": (70, 110, 105),
    "red": (50, 40, 170),
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
# An N95 respirator: a rigid, rounded cup from the nose bridge to under the chin, held by
# two head straps rather than ear loops.
_OUTLINE_UV["n95"] = (
    (-0.55, 0.3),
    (0.0, 0.2),
    (0.55, 0.3),
    (0.95, 0.65),
    (1.08, 1.1),
    (0.95, 1.55),
    (0.55, 1.88),
    (0.0, 1.98),
    (-0.55, 1.88),
    (-0.95, 1.55),
    (-1.08, 1.1),
    (-0.95, 0.65),
)
UPPER_EDGE_V = 0.6
"""Outline vertices above this (the upper edge and the side corners) move with ``top_v``."""


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


def _crease(
    layer: ImageBGR, frame: FaceFrame, folds: int, seed: int | None, eye_px: float
) -> ImageBGR:
    """Fabric creases (soft bands of light and shadow across the mask, at heights and
    tilts drawn from ``seed``) and grain (noise), on a copy of ``layer``."""
    rng = np.random.default_rng(seed)
    h, w = layer.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    gain = np.ones((h, w), np.float32)
    # Distance of each pixel from the eye-mouth axis in the face frame's v units.
    v_len = float(np.linalg.norm(frame.v_vec))
    v_dir = frame.v_vec / max(v_len, 1e-6)
    v_px = (xs - frame.origin_xy[0]) * v_dir[0] + (ys - frame.origin_xy[1]) * v_dir[1]
    u_px = (xs - frame.origin_xy[0]) * v_dir[1] - (ys - frame.origin_xy[1]) * v_dir[0]
    for _ in range(folds):
        v0 = float(rng.uniform(0.4, 1.6)) * v_len
        tilt = float(rng.uniform(-0.25, 0.25))
        width = float(rng.uniform(0.04, 0.1)) * v_len + 0.5
        strength = float(rng.uniform(0.12, 0.3)) * float(rng.choice([-1.0, 1.0]))
        d = v_px - v0 - tilt * u_px
        gain += strength * np.exp(-0.5 * (d / width) ** 2)
    out = layer.astype(np.float32) * gain[:, :, None]
    if seed is not None:
        grain_px = max(1, round(eye_px / 30))
        small = rng.normal(0.0, 7.0, (h // grain_px + 1, w // grain_px + 1)).astype(np.float32)
        noise = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)[:h, :w]
        out += noise[:, :, None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def draw_mask(
    image_bgr: ImageBGR,
    landmarks_xy: FloatArray,
    style: MaskStyle = "surgical",
    colour_bgr: tuple[int, int, int] = COLOURS_BGR["light_blue"],
    *,
    top_v: float | None = None,
    nose_clip: bool = False,
    folds: int = 0,
    seed: int | None = None,
) -> ImageBGR:
    """A copy of ``image_bgr`` (H, W, 3) uint8 with a mask drawn on one face.

    landmarks_xy: (5, 2) pixels, YuNet order. Fabric shading (pleats, seams, a soft
    lower shadow) keeps the mask from being a flat sticker that a classifier could key
    on trivially.

    The keywords make masks as hard to detect as real ones (all off by default, so the
    rendered demo keeps its pixels): ``top_v`` moves the upper edge to that height in the
    face frame (down to `LOWER_LID_V`, a mask pulled up to the eyes); ``nose_clip`` draws
    the metal strip along the upper edge; ``folds`` adds that many creases of light and
    shadow across the fabric; ``seed`` adds fabric grain (noise of that seed).
    """
    if style not in _OUTLINE_UV:
        raise ValueError(f"unknown mask style {style!r}; choose one of {', '.join(STYLES)}")
    frame = FaceFrame.from_landmarks(landmarks_xy)
    outline_uv = np.asarray(_OUTLINE_UV[style], dtype=np.float64)
    if top_v is not None:
        if not LOWER_LID_V <= top_v < UPPER_EDGE_V:
            raise ValueError(f"top_v {top_v} must lie in [{LOWER_LID_V}, {UPPER_EDGE_V})")
        on_top = outline_uv[:, 1] < UPPER_EDGE_V
        outline_uv[on_top, 1] += top_v - outline_uv[:, 1].min()
    top_edge_v = float(outline_uv[:, 1].min())
    outline = frame.to_px(outline_uv)
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
    elif style == "kn95":  # the vertical fold
        fold = frame.to_px(np.array([[0.0, 0.18], [0.0, 1.9]])).round().astype(np.int32)
        cv2.line(layer, tuple(fold[0]), tuple(fold[1]), dark, line_px, cv2.LINE_AA)
    else:  # n95: the moulded cup's rim, a ring inside the outline
        rim = frame.to_px(outline_uv * [0.85, 1.0] + [0.0, 0.08])
        rim_pts = np.round(rim * 8).astype(np.int32)
        cv2.polylines(layer, [rim_pts], True, dark, line_px, cv2.LINE_AA, shift=3)
    if folds or seed is not None:
        # Only the mask's own rectangle: the rest of the layer is never composited.
        x0, y0 = np.clip(np.floor(outline.min(axis=0)).astype(int) - 2, 0, [w, h])
        x1, y1 = np.clip(np.ceil(outline.max(axis=0)).astype(int) + 2, 0, [w, h])
        if x1 > x0 and y1 > y0:
            local = FaceFrame(frame.origin_xy - [x0, y0], frame.u_vec, frame.v_vec)
            layer[y0:y1, x0:x1] = _crease(layer[y0:y1, x0:x1], local, folds, seed, eye_px)
    if nose_clip:
        clip = frame.to_px(np.array([[-0.35, top_edge_v + 0.08], [0.35, top_edge_v + 0.08]]))
        p = np.round(clip * 8).astype(np.int32)
        cv2.line(layer, tuple(p[0]), tuple(p[1]), (200, 200, 205), 2 * line_px, cv2.LINE_AA, 3)

    scale = 8  # sub-pixel polygon vertices for cv2.fillPoly
    alpha = np.zeros((h, w), dtype=np.uint8)
    pts = np.round(outline * scale).astype(np.int32)
    cv2.fillPoly(alpha, [pts], 255, cv2.LINE_AA, shift=3)
    cv2.polylines(layer, [pts], True, dark, line_px, cv2.LINE_AA, shift=3)
    a = (alpha.astype(np.float32) / 255)[:, :, None]
    out = image_bgr.astype(np.float32) * (1 - a) + layer.astype(np.float32) * a
    out_u8: ImageBGR = np.clip(out + 0.5, 0, 255).astype(np.uint8)

    # Ear loops: from the mask's upper and lower side corners towards the ears; an N95's
    # head straps run further, over the ears.
    loop = _shade(colour_bgr, 0.9) if style != "patterned" else (230, 230, 230)
    for side in (-1.0, 1.0):
        upper = frame.to_px(np.array([[side * 1.02, 0.45], [side * 1.25, 0.2]]))
        lower = frame.to_px(np.array([[side * 0.98, 1.3], [side * 1.25, 0.9]]))
        if style == "n95":
            upper = frame.to_px(np.array([[side * 0.95, 0.65], [side * 1.6, -0.3]]))
            lower = frame.to_px(np.array([[side * 1.0, 1.5], [side * 1.6, 0.9]]))
        for seg in (upper, lower):
            p = np.round(seg * scale).astype(np.int32)
            cv2.line(out_u8, tuple(p[0]), tuple(p[1]), loop, line_px, cv2.LINE_AA, shift=3)
    return out_u8
