"""Matching whole person crops across cameras: the descriptor `cctrace appearance match` uses.

Two parts, each a row of unit length per crop, compared by dot product: the LOMO-style
stripe colour and stripe texture of `cctrace.vision.stripes`, computed over the person's
pixels only (`cctrace.vision.segment`). The similarity is their weighted sum with
``PART_WEIGHTS``.

Why not the stored appearance parts (`cctrace.vision.appearance`): across cameras the
ImageNet CNN part ranks the right person first 7 % of the time on real crops (issue 15)
and the whole-half hue histogram moves with white balance; on the simulated second
cameras of benchmarks/bench_reid.py, adding either to the stripe parts did not raise
rank-1 on the development seeds (docs/benchmarks.md), so they stay out, which also saves
the CNN's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.vision.segment import PersonSegmenter
from cctrace.vision.stripes import COLOUR_DIM, SIZE_HW, TEXTURE_DIM, stripe_features

PART_WEIGHTS = {"stripe_colour": 0.5, "stripe_texture": 0.5}
"""Weights of the parts' cosines (sum 1), chosen on development seeds of
benchmarks/bench_reid.py that the reported figures do not use (docs/benchmarks.md)."""


@dataclass(frozen=True)
class ReidDescriptors:
    """N crops' parts: ``stripe_colour`` (N, COLOUR_DIM) and ``stripe_texture``
    (N, TEXTURE_DIM), float32 rows of unit length."""

    stripe_colour: FloatArray
    stripe_texture: FloatArray

    def __post_init__(self) -> None:
        n = len(self.stripe_colour)
        if self.stripe_colour.shape != (n, COLOUR_DIM) or self.stripe_texture.shape != (
            n,
            TEXTURE_DIM,
        ):
            raise ValueError(
                f"parts must be (N, {COLOUR_DIM}) and (N, {TEXTURE_DIM}), got "
                f"{self.stripe_colour.shape} and {self.stripe_texture.shape}"
            )

    def __len__(self) -> int:
        return len(self.stripe_colour)


class ReidDescriber:
    """The descriptor of N crops; ``masked=False`` leaves the person mask out (for
    measuring what the mask adds)."""

    def __init__(self, segmenter: PersonSegmenter | None = None, masked: bool = True) -> None:
        self.segmenter = (segmenter or PersonSegmenter()) if masked else None

    def describe_crops(self, crops: Sequence[ImageBGR]) -> ReidDescriptors:
        """Descriptors of N BGR crops, each crop being the whole person box."""
        h, w = SIZE_HW
        masks = None if self.segmenter is None else self.segmenter.masks(crops, (w, h))
        f = stripe_features(crops, masks)
        return ReidDescriptors(f.colour, f.texture)


def reid_similarity_matrix(
    a: ReidDescriptors, b: ReidDescriptors, weights: dict[str, float] | None = None
) -> FloatArray:
    """(N, M) weighted sum of the parts' cosines, in [0, 1] for weights summing to 1."""
    w = PART_WEIGHTS if weights is None else weights
    out = np.zeros((len(a), len(b)), np.float32)
    for name, weight in w.items():
        if weight:
            out += np.float32(weight) * (getattr(a, name) @ getattr(b, name).T)
    return out
