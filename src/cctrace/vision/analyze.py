"""Face analysis of one image: detect, align, embed, score quality and mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cctrace.core.errors import NoFaceError
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.faces import (
    EMBEDDING_DIM,
    FaceDetector,
    SFaceEmbedder,
    YuNetFaceDetector,
    face_quality,
)
from cctrace.vision.mask import MaskClassifier, OnnxMaskClassifier


@dataclass(frozen=True)
class FaceAnalysis:
    """N faces of one image with parallel per-face arrays.

    ``embedding`` (N, 128) L2-normalised SFace; ``quality`` (N,) in [0, 1];
    ``mask_probability`` (N,) in [0, 1].
    """

    faces: Detections
    quality: FloatArray
    embedding: FloatArray
    mask_probability: FloatArray

    def __len__(self) -> int:
        return len(self.faces)

    def largest(self, what: str) -> int:
        """Index of the largest face; NoFaceError naming ``what`` if there is none."""
        if len(self.faces) == 0:
            raise NoFaceError(
                f"{what}: no face found; use a photo where the face is visible, "
                "frontal and at least 40 pixels wide"
            )
        return int(np.argmax(self.faces.area))


class FaceAnalyzer:
    """Runs the face models in order; each model is loaded (and hash-checked) once."""

    def __init__(
        self,
        detector: FaceDetector | None = None,
        embedder: SFaceEmbedder | None = None,
        mask: MaskClassifier | None = None,
    ) -> None:
        self.detector = detector or YuNetFaceDetector()
        self.embedder = embedder or SFaceEmbedder()
        self.mask = mask or OnnxMaskClassifier()

    def analyze(self, image_bgr: ImageBGR) -> FaceAnalysis:
        faces = self.detector.detect(image_bgr)
        if len(faces) == 0:
            empty = np.zeros((0,), np.float32)
            return FaceAnalysis(faces, empty, np.zeros((0, EMBEDDING_DIM), np.float32), empty)
        aligned = self.embedder.align(image_bgr, faces)
        return FaceAnalysis(
            faces=faces,
            quality=face_quality(faces, aligned).total,
            embedding=self.embedder.embed_aligned(aligned),
            mask_probability=self.mask.predict(image_bgr, faces),
        )
