from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.video.images import load_image
from cctrace.vision.faces import (
    SFACE_COSINE_THRESHOLD,
    SFaceEmbedder,
    YuNetFaceDetector,
    cosine_similarity,
    face_quality,
    pose_score,
    size_score,
)


@pytest.fixture(scope="module")
def detector() -> YuNetFaceDetector:
    return YuNetFaceDetector()


@pytest.fixture(scope="module")
def embedder() -> SFaceEmbedder:
    return SFaceEmbedder()


def _largest_embedding(path: Path, det: YuNetFaceDetector, emb: SFaceEmbedder) -> np.ndarray:  # type: ignore[type-arg]
    image = load_image(path)
    faces = det.detect(image)
    assert len(faces) >= 1, f"no face found in {path}"
    i = int(np.argmax(faces.area))
    return np.asarray(emb.embed(image, faces[np.array([i])])[0])


def test_yunet_finds_one_face_with_landmarks_inside_box(
    faces_dir: Path, detector: YuNetFaceDetector
) -> None:
    faces = detector.detect(load_image(faces_dir / "test" / "obama1.jpg"))
    assert len(faces) == 1
    assert faces.landmarks_xy is not None
    x1, y1, x2, y2 = faces.box_xyxy[0]
    lm = faces.landmarks_xy[0]
    assert np.all((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2))
    # the right eye (landmark 0) is on the image's left of the left eye (landmark 1)
    assert lm[0, 0] < lm[1, 0]


def test_yunet_finds_both_people_in_group_photo(
    faces_dir: Path, detector: YuNetFaceDetector
) -> None:
    assert len(detector.detect(load_image(faces_dir / "test" / "obama_and_biden.jpg"))) >= 2


def test_yunet_finds_no_face_in_blank_image(detector: YuNetFaceDetector) -> None:
    assert len(detector.detect(np.full((480, 640, 3), 127, np.uint8))) == 0


def test_yunet_boxes_in_original_coordinates_for_large_images(
    astronaut_bgr: np.ndarray,  # type: ignore[type-arg]
    detector: YuNetFaceDetector,
) -> None:
    small = detector.detect(astronaut_bgr)
    big = detector.detect(cv2.resize(astronaut_bgr, (2048, 2048)))  # scaled down inside
    assert len(small) == 1
    # Upscaled (smooth) images draw weaker false faces; the real one stays the best.
    best = int(np.argmax(big.score))
    np.testing.assert_allclose(big.box_xyxy[best] / 4, small.box_xyxy[0], atol=6)


def test_sface_same_person_above_threshold_different_below(
    faces_dir: Path, detector: YuNetFaceDetector, embedder: SFaceEmbedder
) -> None:
    obama_test = _largest_embedding(faces_dir / "test" / "obama1.jpg", detector, embedder)
    obama_train = _largest_embedding(
        faces_dir / "train" / "obama" / "obama.jpg", detector, embedder
    )
    biden = _largest_embedding(faces_dir / "train" / "biden" / "biden.jpg", detector, embedder)
    assert np.linalg.norm(obama_test) == pytest.approx(1.0, abs=1e-5)
    assert float(obama_test @ obama_train) > SFACE_COSINE_THRESHOLD
    assert float(obama_test @ biden) < SFACE_COSINE_THRESHOLD


def test_cosine_similarity_shape() -> None:
    a = np.eye(3, 128, dtype=np.float32)
    assert cosine_similarity(a, a[:2]).shape == (3, 2)
    np.testing.assert_allclose(cosine_similarity(a, a), np.eye(3), atol=1e-6)


@pytest.mark.parametrize(
    ("width_px", "expected"),
    [(10, 0.0), (16, 0.0), (48, 0.5), (80, 1.0), (300, 1.0)],
)
def test_size_score(width_px: float, expected: float) -> None:
    box = np.array([[0, 0, width_px, width_px * 1.2]], np.float32)
    assert size_score(box)[0] == pytest.approx(expected, abs=1e-6)


def _landmarks(nose_dx: float = 0.0, nose_y: float = 0.58, roll_deg: float = 0.0) -> np.ndarray:  # type: ignore[type-arg]
    """Landmarks of a face with eyes 1 apart, mouth 1 below the eyes, rotated by roll."""
    pts = np.array(
        [[-0.5, 0.0], [0.5, 0.0], [nose_dx, nose_y], [-0.35, 1.0], [0.35, 1.0]], np.float32
    )
    a = np.deg2rad(roll_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    return (pts @ rot.T * 40 + 100)[None]


@pytest.mark.parametrize(
    ("landmarks", "low", "high"),
    [
        (_landmarks(), 0.99, 1.0),
        (_landmarks(roll_deg=30), 0.99, 1.0),  # roll alone does not hurt recognition much
        (_landmarks(nose_dx=0.3), 0.45, 0.55),  # half-way to profile
        (_landmarks(nose_dx=0.7), 0.0, 0.0),  # profile
        (_landmarks(nose_y=1.1), 0.0, 0.0),  # looking far down: nose below the mouth line
    ],
)
def test_pose_score(landmarks: np.ndarray, low: float, high: float) -> None:  # type: ignore[type-arg]
    assert low <= float(pose_score(landmarks)[0]) <= high


def test_quality_drops_for_small_blurred_faces(
    astronaut_bgr: np.ndarray,  # type: ignore[type-arg]
    detector: YuNetFaceDetector,
    embedder: SFaceEmbedder,
) -> None:
    sharp = detector.detect(astronaut_bgr)
    q_sharp = face_quality(sharp, embedder.align(astronaut_bgr, sharp)).total[0]
    small = cv2.resize(cv2.GaussianBlur(astronaut_bgr, (0, 0), 2.0), (200, 200))
    small_faces = detector.detect(small)
    assert len(small_faces) == 1
    q_small = face_quality(small_faces, embedder.align(small, small_faces)).total[0]
    assert q_sharp > 0.5
    assert q_small < q_sharp / 2
