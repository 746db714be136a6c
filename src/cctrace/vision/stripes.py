"""Horizontal-stripe colour and texture features of a person crop (LOMO-style).

Why: the same clothes seen by two cameras differ by white balance, exposure, scale, pose
and background. The shipped descriptor (`cctrace.vision.appearance`) takes one hue
histogram per body half straight from the pixels, so a warmer camera moves every pixel's
hue, and a whole-half histogram cannot say *where* on the body a colour sits. This one
follows Liao et al.'s LOMO (CVPR 2015) in spirit, reduced to what runs in numpy and
OpenCV alone (no model):

1. The crop is resized to ``SIZE_HW`` (128x48) and passed through a two-scale Retinex
   (log of each channel minus the log of its Gaussian blur): a per-channel gain (colour
   temperature, white balance, exposure) cancels exactly, since the blur is linear.
2. The crop is cut into ``STRIPES`` overlapping horizontal stripes; each stripe into
   patches ``PATCH_W`` wide. Per patch: a hue/saturation/brightness histogram of the
   Retinex image (grey pixels counted by brightness, as in the shipped colour part) and a
   histogram of scale-invariant local ternary patterns (SILTP, 4 neighbours at radius 3:
   texture that survives a change of brightness). Within a stripe the patch histograms
   are max-pooled, so a person who turns or stands a little aside still fills the same
   bins; that is LOMO's one idea that matters most across viewpoints.
3. Pixels are weighted by a Gaussian across the width (centre 1, edges ``EDGE_WEIGHT``)
   so that the background a box lets in at its sides counts less, and, given a person
   mask (`cctrace.vision.segment`), by the probability that they belong to the person.

Each part is square-rooted and L2-normalised, so a dot product is a similarity in [0, 1].
Shapes: ``colour`` (N, STRIPES * COLOUR_BINS), ``texture`` (N, STRIPES * TEXTURE_BINS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR

SIZE_HW = (128, 48)
STRIPES = 8
"""Overlapping stripes over the crop's height (each 2 x 128/(STRIPES+1) px, half overlap)."""
PATCH_W = 16
PATCH_STRIDE = 8
RETINEX_SIGMAS = (5.0, 20.0)
EDGE_WEIGHT = 0.25
"""Weight of a pixel at the crop's left or right edge, relative to the centre column."""

MASK_FLOOR = 0.05

HUE_BINS = 8
SAT_BINS = 2
VALUE_BINS = 4
CHROMA_MIN_SAT = 40
CHROMA_MIN_VALUE = 40
COLOUR_BINS = HUE_BINS * SAT_BINS + VALUE_BINS
SILTP_TAU = 0.3
"""SILTP's tolerance: a neighbour within ±30 % of the centre pixel counts as equal."""
SILTP_RADIUS = 3
TEXTURE_BINS = 3**4
COLOUR_DIM = STRIPES * COLOUR_BINS
TEXTURE_DIM = STRIPES * TEXTURE_BINS


@dataclass(frozen=True)
class StripeFeatures:
    """``colour`` (N, COLOUR_DIM) and ``texture`` (N, TEXTURE_DIM), rows of unit length."""

    colour: FloatArray
    texture: FloatArray

    def __post_init__(self) -> None:
        if self.colour.shape != (len(self.colour), COLOUR_DIM) or self.texture.shape != (
            len(self.colour),
            TEXTURE_DIM,
        ):
            raise ValueError(
                f"stripe features must be (N, {COLOUR_DIM}) and (N, {TEXTURE_DIM}), "
                f"got {self.colour.shape} and {self.texture.shape}"
            )


def retinex(image_bgr: ImageBGR) -> ImageBGR:
    """Two-scale Retinex of an (H, W, 3) uint8 image, stretched back to uint8.

    The stretch maps the 1st..99th percentile of the log ratio to 0..255 for all three
    channels together, so that the ratio between channels (the colour) survives.
    """
    log_i = np.log1p(image_bgr.astype(np.float32))
    out = np.zeros_like(log_i)
    for sigma in RETINEX_SIGMAS:
        blurred = cv2.GaussianBlur(image_bgr.astype(np.float32), (0, 0), sigma)
        out += log_i - np.log1p(blurred)
    lo, hi = np.percentile(out, (1, 99))
    scaled = (out - lo) * (255.0 / max(float(hi - lo), 1e-6))
    return np.asarray(np.clip(scaled, 0, 255), np.uint8)


def _centre_weights(width: int) -> FloatArray:
    x = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
    # exp(-x^2 / (2 s^2)) equals EDGE_WEIGHT at x = ±0.5.
    s2 = 0.25 / (2.0 * np.log(1.0 / EDGE_WEIGHT))
    out: FloatArray = np.exp(-(x**2) / (2.0 * s2)).astype(np.float32)
    return out


def _colour_codes(hsv: NDArray[np.uint8]) -> NDArray[np.intp]:
    hue = hsv[..., 0].astype(np.intp)
    sat = hsv[..., 1].astype(np.intp)
    val = hsv[..., 2].astype(np.intp)
    chroma = (sat >= CHROMA_MIN_SAT) & (val >= CHROMA_MIN_VALUE)
    hue_bin = np.minimum(hue * HUE_BINS // 180, HUE_BINS - 1)
    sat_bin = np.minimum((sat - CHROMA_MIN_SAT) * SAT_BINS // (256 - CHROMA_MIN_SAT), SAT_BINS - 1)
    val_bin = np.minimum(val * VALUE_BINS // 256, VALUE_BINS - 1)
    codes: NDArray[np.intp] = np.where(
        chroma, hue_bin * SAT_BINS + sat_bin, HUE_BINS * SAT_BINS + val_bin
    )
    return codes


def _siltp_codes(grey: FloatArray) -> NDArray[np.intp]:
    """(H, W) SILTP codes in [0, 81): 4 neighbours at SILTP_RADIUS, each 0 equal, 1
    brighter, 2 darker than the centre by more than SILTP_TAU times its value."""
    r = SILTP_RADIUS
    padded = cv2.copyMakeBorder(grey, r, r, r, r, cv2.BORDER_REPLICATE)
    h, w = grey.shape
    code = np.zeros((h, w), np.intp)
    for dy, dx in ((0, r), (-r, 0), (0, -r), (r, 0)):
        neighbour = padded[r + dy : r + dy + h, r + dx : r + dx + w]
        digit = np.where(
            neighbour > (1 + SILTP_TAU) * grey,
            1,
            np.where(neighbour < (1 - SILTP_TAU) * grey, 2, 0),
        )
        code = code * 3 + digit
    return code


def _pooled(codes: NDArray[np.intp], weights: FloatArray, bins: int) -> FloatArray:
    """(STRIPES * bins,) max over each stripe's patches of the patches' weighted,
    sum-1 histograms, square-rooted and L2-normalised."""
    h, w = codes.shape
    stripe_h = 2 * h // (STRIPES + 1)
    out = np.zeros((STRIPES, bins), np.float32)
    for s in range(STRIPES):
        top = s * stripe_h // 2
        for left in range(0, w - PATCH_W + 1, PATCH_STRIDE):
            c = codes[top : top + stripe_h, left : left + PATCH_W].reshape(-1)
            wt = weights[top : top + stripe_h, left : left + PATCH_W].reshape(-1)
            hist = np.bincount(c, wt, minlength=bins).astype(np.float32)
            total = float(hist.sum())
            if total > 0:
                # A patch votes by how much of it is the person (its weight), so an
                # edge patch that is mostly background cannot outvote the centre.
                hist *= float(wt.mean()) / total
            np.maximum(out[s], hist, out=out[s])
    flat = np.sqrt(out.reshape(-1))
    norm = float(np.linalg.norm(flat))
    result: FloatArray = (flat / max(norm, 1e-12)).astype(np.float32)
    return result


def stripe_features(
    crops: Sequence[ImageBGR], masks: Sequence[FloatArray] | None = None
) -> StripeFeatures:
    """LOMO-style stripe features of N BGR person crops of any size (see the module).

    ``masks``: one (128, 48) person probability per crop (`PersonSegmenter.masks` at
    ``SIZE_HW``), multiplied into the centre weights so that background pixels count
    (almost) nothing; a floor of ``MASK_FLOOR`` keeps a crop the model missed describable.
    """
    h, w = SIZE_HW
    if masks is not None and len(masks) != len(crops):
        raise ValueError(f"{len(masks)} masks for {len(crops)} crops")
    centre = np.broadcast_to(_centre_weights(w)[None, :], (h, w)).astype(np.float32)
    colour = np.zeros((len(crops), COLOUR_DIM), np.float32)
    texture = np.zeros((len(crops), TEXTURE_DIM), np.float32)
    for i, crop in enumerate(crops):
        weights = centre
        if masks is not None:
            if masks[i].shape != (h, w):
                raise ValueError(f"mask {i} is {masks[i].shape}, expected {(h, w)}")
            weights = centre * np.maximum(masks[i], MASK_FLOOR)
        small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
        hsv = np.asarray(cv2.cvtColor(retinex(small), cv2.COLOR_BGR2HSV), np.uint8)
        colour[i] = _pooled(_colour_codes(hsv), weights, COLOUR_BINS)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) + 1.0
        texture[i] = _pooled(_siltp_codes(grey), weights, TEXTURE_BINS)
    return StripeFeatures(colour, texture)
