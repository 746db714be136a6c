"""Matching whole person crops across cameras: the descriptor `cctrace appearance match` uses.

Four parts, each a row of unit length per crop, compared by dot product:

- ``cnn`` (1280,) and ``colour`` (40,): the shipped appearance parts
  (`cctrace.vision.appearance`), so that this descriptor contains the stored one;
- ``stripe_colour`` and ``stripe_texture``: LOMO-style stripe features
  (`cctrace.vision.stripes`), made to survive a change of white balance, exposure,
  scale and pose.

The similarity is the weighted sum of the four parts' cosines with ``PART_WEIGHTS``,
measured on simulated second cameras (benchmarks/bench_reid.py, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.appearance import (
    CNN_DIM,
    COLOUR_DIM,
    OnnxAppearanceEmbedder,
    colour_descriptors,
)
from cctrace.vision.stripes import stripe_features

PART_WEIGHTS = {"cnn": 0.1, "colour": 0.2, "stripe_colour": 0.4, "stripe_texture": 0.3}
"""Weights of the parts' cosines (sum 1), measured on development seeds of
benchmarks/bench_reid.py that the reported figures do not use (docs/benchmarks.md)."""


@dataclass(frozen=True)
class ReidDescriptors:
    """N crops' descriptor parts: (N, dim) float32 arrays, rows of unit length."""

    cnn: FloatArray
    colour: FloatArray
    stripe_colour: FloatArray
    stripe_texture: FloatArray

    def __post_init__(self) -> None:
        n = len(self.cnn)
        if self.cnn.shape != (n, CNN_DIM) or self.colour.shape != (n, COLOUR_DIM):
            raise ValueError(f"cnn and colour must be (N, {CNN_DIM}) and (N, {COLOUR_DIM})")
        if len(self.stripe_colour) != n or len(self.stripe_texture) != n:
            raise ValueError("every part needs one row per crop")

    def __len__(self) -> int:
        return len(self.cnn)


class ReidDescriber:
    """All four parts of N crops; the CNN runs in batches of ``batch`` crops."""

    def __init__(self, embedder: OnnxAppearanceEmbedder | None = None, batch: int = 16) -> None:
        self.embedder = embedder or OnnxAppearanceEmbedder()
        self.batch = batch

    def describe_crops(self, crops: Sequence[ImageBGR]) -> ReidDescriptors:
        """Descriptors of N BGR crops, each crop being the whole person box."""
        cnn = np.zeros((len(crops), CNN_DIM), np.float32)
        colour = np.zeros((len(crops), COLOUR_DIM), np.float32)
        for start in range(0, len(crops), self.batch):
            cnn[start : start + self.batch] = self.embedder.embed_crops(
                crops[start : start + self.batch]
            )
        for i, crop in enumerate(crops):
            h, w = crop.shape[:2]
            whole = Detections(np.array([[0, 0, w, h]], np.float32), np.ones(1, np.float32))
            colour[i] = colour_descriptors(crop, whole)[0]
        stripes = stripe_features(crops)
        return ReidDescriptors(cnn, colour, stripes.colour, stripes.texture)


def reid_similarity_matrix(
    a: ReidDescriptors, b: ReidDescriptors, weights: dict[str, float] | None = None
) -> FloatArray:
    """(N, M) weighted sum of the parts' cosines, in [0, 1] for the default weights."""
    w = PART_WEIGHTS if weights is None else weights
    out = np.zeros((len(a), len(b)), np.float32)
    for name, weight in w.items():
        if weight:
            out += np.float32(weight) * (getattr(a, name) @ getattr(b, name).T)
    return out
