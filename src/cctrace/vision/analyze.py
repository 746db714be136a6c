"""Face analysis of one image: detect, align, embed, score quality and mask."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import NoFaceError
from cctrace.core.types import Detections, FloatArray, ImageBGR, concat_detections
from cctrace.vision.cascade import faces_in_heads
from cctrace.vision.face_cascade import FaceCascade
from cctrace.vision.faces import (
    EMBEDDING_DIM,
    FaceDetector,
    SFaceEmbedder,
    YuNetFaceDetector,
    face_quality,
)
from cctrace.vision.mask import MaskClassifier, OnnxMaskClassifier

HEAD_CROP_PX = 160
"""Side of the square the head region of a person box is resized to for CenterFace.

One fixed size keeps a single network in CenterFace's per-size cache."""
HEAD_FRACTION = 0.4
"""The head lies in the top 40 % of an upright person box (head + shoulders, with slack)."""


def head_regions_xyxy(persons: Detections) -> FloatArray:
    """Square head regions (N, 4) over the top of each person box, centred horizontally."""
    b = persons.box_xyxy
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    side = np.maximum(np.minimum(w, h * HEAD_FRACTION), 8.0)
    cx = (b[:, 0] + b[:, 2]) / 2
    return np.asarray(
        np.stack([cx - side / 2, b[:, 1], cx + side / 2, b[:, 1] + side], axis=1), np.float32
    )


def _centres_inside(points_xy: FloatArray, boxes_xyxy: FloatArray) -> NDArray[np.bool_]:
    """(P, B) bool: point p lies inside box b."""
    x, y = points_xy[:, None, 0], points_xy[:, None, 1]
    return np.asarray(
        (x >= boxes_xyxy[None, :, 0])
        & (x <= boxes_xyxy[None, :, 2])
        & (y >= boxes_xyxy[None, :, 1])
        & (y <= boxes_xyxy[None, :, 3]),
        np.bool_,
    )


def _square_crop(image_bgr: ImageBGR, x0: int, y0: int, side: int) -> ImageBGR:
    """The ``side`` x ``side`` square of ``image_bgr`` from (``x0``, ``y0``), black where it
    leaves the image (copying only the square: padding the whole 1080p frame for every
    faceless head cost more than the crop's own detector passes)."""
    h, w = image_bgr.shape[:2]
    out = np.zeros((side, side, 3), np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image_bgr[sy0:sy1, sx0:sx1]
    return out


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
    aligned: tuple[ImageBGR, ...] = ()
    """The (112, 112, 3) aligned face crops the embeddings were computed from."""

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
    """Runs the face models in order; each model is loaded (and hash-checked) once.

    ``detector`` is the first face detector (YuNet); the rest of the face detector
    cascade (`cctrace.vision.face_cascade`: CenterFace, mirrored and enlarged passes) is
    loaded on first use."""

    def __init__(
        self,
        detector: FaceDetector | None = None,
        embedder: SFaceEmbedder | None = None,
        mask: MaskClassifier | None = None,
        cascade: FaceCascade | None = None,
    ) -> None:
        self.detector = detector or YuNetFaceDetector()
        self.embedder = embedder or SFaceEmbedder()
        self.mask = mask or OnnxMaskClassifier()
        self._cascade = cascade

    @property
    def cascade(self) -> FaceCascade:
        """The face detector cascade, with ``detector`` as its first detector."""
        if self._cascade is None:
            self._cascade = FaceCascade(primary=self.detector)
        return self._cascade

    def fallback_faces(
        self, image_bgr: ImageBGR, faces: Detections, persons: Detections
    ) -> Detections:
        """Faces the cascade's later passes find in the head region of persons where
        YuNet found none (at most one a head): the cascade adds work only there.

        Measured in docs/benchmarks.md ("Masked faces: one detector cascade").
        """
        heads = head_regions_xyxy(persons)
        if len(faces):
            centres = np.asarray((faces.box_xyxy[:, :2] + faces.box_xyxy[:, 2:]) / 2, np.float32)
            heads = heads[~_centres_inside(centres, heads).any(axis=0)]
        h_img, w_img = image_bgr.shape[:2]
        found = []
        for x1, y1, x2, _y2 in heads:
            side = float(x2 - x1)
            if side < 12:  # too small for any face detector to say anything useful
                continue
            # Black out of frame so that the crop stays square and unscaled per axis.
            pad = int(np.ceil(side))
            ix, iy = round(float(x1)), round(float(y1))
            crop = _square_crop(image_bgr, ix, iy, pad)
            scale = HEAD_CROP_PX / pad
            dets = self.cascade.recover(
                cv2.resize(crop, (HEAD_CROP_PX, HEAD_CROP_PX)), Detections.empty()
            )
            if len(dets) == 0:
                continue
            best = dets[np.array([int(np.argmax(dets.score))])]
            offset = np.array([ix, iy], np.float32)
            box = best.box_xyxy / scale + np.tile(offset, 2)
            box = np.clip(box, 0, [w_img, h_img, w_img, h_img])
            assert best.landmarks_xy is not None
            found.append(Detections(box, best.score, best.landmarks_xy / scale + offset))
        return concat_detections(found)

    def find(
        self,
        image_bgr: ImageBGR,
        persons: Detections | None = None,
        cascade: bool = False,
        fallback: NDArray[np.bool_] | None = None,
    ) -> Detections:
        """Face boxes and landmarks.

        Without ``persons`` (a photo: `faces analyze`, a case's reference photo) the whole
        face detector cascade runs on the whole image. With ``persons`` (video frames),
        YuNet runs on the image and the cascade's later passes only on the heads of
        persons in whom YuNet found no face.

        ``cascade``: search only the head regions of ``persons`` (one detector call on a
        mosaic, `cctrace.vision.cascade`) instead of the whole frame; for ingestion,
        which keeps only faces it can attach to a person. ``fallback`` (N,) bool: the
        persons whose heads the cascade's later passes may search, if YuNet found no
        face there (None: all of them)."""
        if cascade:
            if persons is None or len(persons) == 0:
                return Detections.empty(with_landmarks=True)
            faces = faces_in_heads(self.detector, image_bgr, persons)
            heads = persons if fallback is None else persons[np.flatnonzero(fallback)]
            if len(heads) == 0:
                return faces
            return concat_detections([faces, self.fallback_faces(image_bgr, faces, heads)])
        if persons is None:
            return self.cascade.detect(image_bgr)
        faces = self.detector.detect(image_bgr)
        if len(persons):
            faces = concat_detections([faces, self.fallback_faces(image_bgr, faces, persons)])
        return faces

    def analyze(self, image_bgr: ImageBGR, persons: Detections | None = None) -> FaceAnalysis:
        """Faces of one image (see `find`)."""
        return self.describe(image_bgr, self.find(image_bgr, persons))

    def describe(self, image_bgr: ImageBGR, faces: Detections) -> FaceAnalysis:
        """Quality, embedding and mask probability of the given faces."""
        if len(faces) == 0:
            empty = np.zeros((0,), np.float32)
            return FaceAnalysis(faces, empty, np.zeros((0, EMBEDDING_DIM), np.float32), empty)
        aligned = self.embedder.align(image_bgr, faces)
        return FaceAnalysis(
            faces=faces,
            quality=face_quality(faces, aligned).total,
            embedding=self.embedder.embed_aligned(aligned),
            mask_probability=self.mask.predict(image_bgr, faces),
            aligned=tuple(aligned),
        )
