"""The mask classifier on real faces: the astronaut photo, bare and with a drawn mask."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import ModelError
from cctrace.core.types import Detections
from cctrace.sim.masks import COLOURS_BGR, STYLES, MaskStyle, draw_mask
from cctrace.vision.mask import (
    DEFAULT_THRESHOLD,
    INPUT_SIZE_PX,
    OnnxMaskClassifier,
    crop_faces,
)
from cctrace.vision.models import model_path

Image = NDArray[np.uint8]


def yunet_faces(image_bgr: Image) -> Detections:
    """Faces found by YuNet (cv2.FaceDetectorYN, score >= 0.6), boxes as xyxy."""
    h, w = image_bgr.shape[:2]
    det = cv2.FaceDetectorYN.create(str(model_path("yunet")), "", (w, h), 0.6)
    _, raw = det.detect(image_bgr)
    assert raw is not None, "YuNet found no face in the test image"
    box = raw[:, :4].copy()
    box[:, 2:] += box[:, :2]
    return Detections(box, raw[:, 14], raw[:, 4:14].reshape(-1, 5, 2))


@pytest.fixture(scope="module")
def classifier() -> OnnxMaskClassifier:
    return OnnxMaskClassifier()


@pytest.fixture(scope="module")
def astronaut_faces(astronaut_bgr: Image) -> Detections:
    faces = yunet_faces(astronaut_bgr)
    assert len(faces) == 1
    return faces


def test_bare_face_scores_low(
    classifier: OnnxMaskClassifier, astronaut_bgr: Image, astronaut_faces: Detections
) -> None:
    prob = classifier.predict(astronaut_bgr, astronaut_faces)
    assert prob.shape == (1,) and prob.dtype == np.float32
    assert prob[0] < 0.1


@pytest.mark.parametrize("style", STYLES)
def test_drawn_mask_scores_high(
    classifier: OnnxMaskClassifier,
    astronaut_bgr: Image,
    astronaut_faces: Detections,
    style: MaskStyle,
) -> None:
    assert astronaut_faces.landmarks_xy is not None
    masked = draw_mask(astronaut_bgr, astronaut_faces.landmarks_xy[0], style, COLOURS_BGR["white"])
    assert classifier.predict(masked, astronaut_faces)[0] > DEFAULT_THRESHOLD


def test_batch_equals_one_by_one(
    classifier: OnnxMaskClassifier, astronaut_bgr: Image, astronaut_faces: Detections
) -> None:
    assert astronaut_faces.landmarks_xy is not None
    # Two faces side by side: the bare one and a masked copy.
    masked = draw_mask(astronaut_bgr, astronaut_faces.landmarks_xy[0])
    pair = np.hstack([astronaut_bgr, masked])
    shift = np.array([astronaut_bgr.shape[1], 0, astronaut_bgr.shape[1], 0], np.float32)
    faces = Detections(
        np.vstack([astronaut_faces.box_xyxy, astronaut_faces.box_xyxy + shift]),
        np.ones(2, np.float32),
    )
    batched = classifier.predict(pair, faces)
    single = [classifier.predict(pair, faces[np.array([i])])[0] for i in range(2)]
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert batched[0] < DEFAULT_THRESHOLD < batched[1]


def test_no_faces_gives_empty(classifier: OnnxMaskClassifier, astronaut_bgr: Image) -> None:
    assert classifier.predict(astronaut_bgr, Detections.empty()).shape == (0,)


def test_crop_matches_package_preprocessing(astronaut_bgr: Image) -> None:
    # A box wholly outside the image still gives one crop, so N faces in -> N rows out.
    box = np.array([[100, 50, 200, 180], [900, 900, 950, 950]], np.float32)
    batch = crop_faces(astronaut_bgr, box)
    assert batch.shape == (2, 3, INPUT_SIZE_PX, INPUT_SIZE_PX)
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    # Channel 0 is red: the package feeds RGB, scaled as x / 127.5 - 1.
    crop = cv2.resize(
        astronaut_bgr[50:180, 100:200], (INPUT_SIZE_PX, INPUT_SIZE_PX), interpolation=cv2.INTER_AREA
    )
    np.testing.assert_allclose(batch[0, 0], crop[:, :, 2] / 127.5 - 1, atol=1e-6)


def test_missing_model_file_is_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(ModelError) as info:
        OnnxMaskClassifier()
    assert "mask_mobilenetv2.onnx" in info.value.message
    assert "is missing" in info.value.message and "make models" in info.value.message
