"""Face detection (YuNet), face embedding (SFace) and face quality.

YuNet and SFace run through OpenCV's ``cv2.FaceDetectorYN`` and ``cv2.FaceRecognizerSF``
on the CPU. Embeddings are 128-d, L2-normalised, compared by cosine similarity.

The same-person threshold default is SFace's published cosine threshold on LFW (0.363,
OpenCV model zoo), checked against our own pairs in docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import ModelError
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.models import model_path

SFACE_COSINE_THRESHOLD = 0.363
EMBEDDING_DIM = 128
MAX_DETECT_SIDE_PX = 1920
"""Images with a longer side are scaled down for detection (boxes scaled back up)."""


class FaceDetector(Protocol):
    @property
    def name(self) -> str: ...

    def detect(self, image_bgr: ImageBGR) -> Detections:
        """Faces with ``landmarks_xy`` (N, 5, 2) in YuNet's landmark order."""
        ...


class FaceEmbedder(Protocol):
    @property
    def name(self) -> str: ...

    def embed(self, image_bgr: ImageBGR, faces: Detections) -> FloatArray:
        """(N, D) L2-normalised embeddings, one per face."""
        ...


class YuNetFaceDetector:
    """YuNet 2023mar. ``score_threshold`` is the minimum face confidence."""

    name = "yunet"

    def __init__(self, score_threshold: float = 0.6, nms_threshold: float = 0.3) -> None:
        path = model_path("yunet")
        try:
            self._net = cv2.FaceDetectorYN.create(
                str(path), "", (320, 320), score_threshold, nms_threshold, 5000
            )
        except cv2.error as exc:
            raise ModelError(f"cannot load YuNet from {path}: {exc}") from None

    def detect(self, image_bgr: ImageBGR) -> Detections:
        h, w = image_bgr.shape[:2]
        scale = min(1.0, MAX_DETECT_SIDE_PX / max(h, w))
        img = image_bgr
        if scale < 1.0:
            img = cv2.resize(image_bgr, (round(w * scale), round(h * scale)), cv2.INTER_AREA)
        self._net.setInputSize((img.shape[1], img.shape[0]))
        _, rows = self._net.detect(img)
        if rows is None or len(rows) == 0:
            return Detections.empty(with_landmarks=True)
        rows = np.asarray(rows, np.float32) / np.float32(scale)
        rows[:, 14] *= np.float32(scale)  # the score column is not a coordinate
        box = np.stack(
            [rows[:, 0], rows[:, 1], rows[:, 0] + rows[:, 2], rows[:, 1] + rows[:, 3]], axis=1
        )
        box = np.clip(box, 0, [w, h, w, h]).astype(np.float32)
        return Detections(box, rows[:, 14], rows[:, 4:14].reshape(-1, 5, 2))


def _yunet_rows(faces: Detections) -> NDArray[np.float32]:
    """Faces back in YuNet's (N, 15) row layout, which SFace's alignCrop expects."""
    if faces.landmarks_xy is None:
        raise ValueError("SFace alignment needs 5-point landmarks")
    b = faces.box_xyxy
    rows = np.concatenate(
        [
            b[:, :2],
            b[:, 2:] - b[:, :2],
            faces.landmarks_xy.reshape(-1, 10),
            faces.score[:, None],
        ],
        axis=1,
    )
    return np.asarray(rows, np.float32)


class SFaceEmbedder:
    """SFace 2021dec: 5-point similarity alignment to 112×112, then a 128-d embedding."""

    name = "sface"

    def __init__(self) -> None:
        path = model_path("sface")
        try:
            self._net = cv2.FaceRecognizerSF.create(str(path), "")
        except cv2.error as exc:
            raise ModelError(f"cannot load SFace from {path}: {exc}") from None

    def align(self, image_bgr: ImageBGR, faces: Detections) -> list[ImageBGR]:
        """Aligned (112, 112, 3) crops, one per face."""
        return [
            np.asarray(self._net.alignCrop(image_bgr, row), np.uint8) for row in _yunet_rows(faces)
        ]

    def embed_aligned(self, crops: list[ImageBGR]) -> FloatArray:
        out = np.zeros((len(crops), EMBEDDING_DIM), np.float32)
        for i, crop in enumerate(crops):
            out[i] = np.asarray(self._net.feature(crop), np.float32).reshape(-1)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-12), np.float32)

    def embed(self, image_bgr: ImageBGR, faces: Detections) -> FloatArray:
        return self.embed_aligned(self.align(image_bgr, faces))


def cosine_similarity(a: FloatArray, b: FloatArray) -> FloatArray:
    """(N, D) × (M, D) L2-normalised embeddings → (N, M) cosine similarities."""
    return (np.atleast_2d(a) @ np.atleast_2d(b).T).astype(np.float32)


@dataclass(frozen=True)
class QualityParts:
    """Face quality components, each (N,) in [0, 1]; ``total`` is their product."""

    size: FloatArray
    sharpness: FloatArray
    pose: FloatArray

    @property
    def total(self) -> FloatArray:
        return np.asarray(self.size * self.sharpness * self.pose, np.float32)


def size_score(box_xyxy: FloatArray, full_px: float = 80.0, min_px: float = 16.0) -> FloatArray:
    """Face width in pixels mapped to [0, 1]: 0 at ``min_px`` or less, 1 at ``full_px``.

    SFace works on 112-px crops; below about 40 px the embedding degrades quickly.
    """
    side = np.minimum(box_xyxy[:, 2] - box_xyxy[:, 0], box_xyxy[:, 3] - box_xyxy[:, 1])
    return np.asarray(np.clip((side - min_px) / (full_px - min_px), 0.0, 1.0), np.float32)


def pose_score(landmarks_xy: FloatArray) -> FloatArray:
    """Frontalness from 5 landmarks (N, 5, 2) → (N,) in [0, 1].

    Yaw is read from how far the nose sits from the eyes' midpoint, relative to the eye
    distance, in the frame rotated so that the eyes are level (so roll does not count);
    pitch from the nose's height between the eye line and the mouth line.
    """
    right_eye, left_eye, nose = landmarks_xy[:, 0], landmarks_xy[:, 1], landmarks_xy[:, 2]
    mouth = (landmarks_xy[:, 3] + landmarks_xy[:, 4]) / 2
    eye_vec = left_eye - right_eye
    eye_dist = np.maximum(np.linalg.norm(eye_vec, axis=1), 1e-6)
    ux = eye_vec / eye_dist[:, None]
    uy = np.stack([-ux[:, 1], ux[:, 0]], axis=1)
    mid = (right_eye + left_eye) / 2
    rel = nose - mid
    yaw = np.abs(np.sum(rel * ux, axis=1)) / eye_dist
    nose_down = np.sum(rel * uy, axis=1)
    mouth_down = np.maximum(np.sum((mouth - mid) * uy, axis=1), 1e-6)
    # A frontal face has the nose about 58 % of the way from the eye line to the mouth line
    # (0.53-0.65 on the frontal photos in ../shared/data/face-identities).
    pitch = np.abs(nose_down / mouth_down - 0.58)
    # A yaw ratio of 0.6 is about a profile view, where the far eye is hidden.
    yaw_ok = np.clip(1.0 - yaw / 0.6, 0.0, 1.0)
    pitch_ok = np.clip(1.0 - pitch / 0.45, 0.0, 1.0)
    return np.asarray(yaw_ok * pitch_ok, np.float32)


def sharpness_score(aligned: list[ImageBGR], half_px: float = 100.0) -> FloatArray:
    """Variance of the Laplacian of each aligned 112-px crop, mapped to [0, 1).

    ``half_px`` is the variance that scores 0.5; a crisp frontal face scores about 0.8.
    """
    out = np.zeros(len(aligned), np.float32)
    for i, crop in enumerate(aligned):
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        var = float(cv2.Laplacian(gray, cv2.CV_64F).var())
        out[i] = var / (var + half_px)
    return out


def face_quality(faces: Detections, aligned: list[ImageBGR]) -> QualityParts:
    """Quality of each face for recognition: size × sharpness × pose, each in [0, 1]."""
    if faces.landmarks_xy is None:
        raise ValueError("face quality needs 5-point landmarks")
    return QualityParts(
        size=size_score(faces.box_xyxy),
        sharpness=sharpness_score(aligned),
        pose=pose_score(faces.landmarks_xy),
    )
