"""CenterFace on real photos: boxes, landmark order (YuNet's), and model errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import ModelError
from cctrace.vision.centerface import CenterFaceDetector
from cctrace.vision.models import model_path

Image = NDArray[np.uint8]


@pytest.fixture(scope="module")
def detector() -> CenterFaceDetector:
    return CenterFaceDetector()


@pytest.fixture(scope="module")
def obama(faces_dir: Path) -> Image:
    image = cv2.imread(str(faces_dir / "test" / "obama1.jpg"))
    assert image is not None
    return np.asarray(image, np.uint8)


def yunet_landmarks(image_bgr: Image) -> NDArray[np.float32]:
    h, w = image_bgr.shape[:2]
    det = cv2.FaceDetectorYN.create(str(model_path("yunet")), "", (w, h), 0.6)
    _, raw = det.detect(image_bgr)
    assert raw is not None and len(raw) == 1
    return np.asarray(raw[0, 4:14].reshape(5, 2), np.float32)


def test_finds_obama_with_landmarks_inside_box(detector: CenterFaceDetector, obama: Image) -> None:
    faces = detector.detect(obama)
    assert len(faces) == 1
    assert faces.landmarks_xy is not None
    x1, y1, x2, y2 = faces.box_xyxy[0]
    assert x2 - x1 > 100 and y2 - y1 > 100
    lm = faces.landmarks_xy[0]
    assert np.all((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2))
    assert faces.score[0] > 0.5


@pytest.mark.parametrize("image_name", ["obama", "astronaut"])
def test_landmarks_in_yunet_order(
    detector: CenterFaceDetector, obama: Image, astronaut_bgr: Image, image_name: str
) -> None:
    image = obama if image_name == "obama" else astronaut_bgr
    faces = detector.detect(image)
    assert faces.landmarks_xy is not None and len(faces) == 1
    lm = faces.landmarks_xy[0]
    reference = yunet_landmarks(image)
    eye_px = float(np.linalg.norm(reference[1] - reference[0]))
    # Point by point within a fifth of the eye distance: same order, same meaning.
    assert np.all(np.linalg.norm(lm - reference, axis=1) < 0.2 * eye_px)
    assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0]  # image-left eye and mouth first


def test_other_input_sizes_do_not_corrupt_results(
    detector: CenterFaceDetector, obama: Image
) -> None:
    # OpenCV 4.12 returns garbage when one Net sees several input sizes; the detector
    # keeps one Net per size, so results must not depend on what ran before.
    first = detector.detect(obama)
    detector.detect(cv2.resize(obama, (640, 360)))
    again = detector.detect(obama)
    np.testing.assert_allclose(first.box_xyxy, again.box_xyxy, atol=1e-3)


def test_blank_image_has_no_faces(detector: CenterFaceDetector) -> None:
    faces = detector.detect(np.full((240, 320, 3), 128, np.uint8))
    assert len(faces) == 0
    assert faces.landmarks_xy is not None and faces.landmarks_xy.shape == (0, 5, 2)


def test_capped_input_still_finds_the_face(obama: Image) -> None:
    faces = CenterFaceDetector(max_side_px=640).detect(obama)
    assert len(faces) == 1


def test_missing_model_file_is_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(ModelError) as info:
        CenterFaceDetector()
    assert "centerface.onnx" in info.value.message
    assert "is missing" in info.value.message and "make models" in info.value.message
