"""The face detector cascade on real faces: masked faces YuNet misses are found, each face
once, and nothing is found where there is no face."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.masked import masked_face

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import ImageBGR
from cctrace.sim.masks import MaskStyle
from cctrace.vision.analyze import FaceAnalyzer
from cctrace.vision.face_cascade import mirror_back
from cctrace.vision.mask import DEFAULT_THRESHOLD


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


@pytest.mark.parametrize(
    ("style", "colour"), [("surgical", "light_blue"), ("cloth", "black"), ("cloth", "navy")]
)
def test_finds_a_masked_face_yunet_misses(
    analyzer: FaceAnalyzer, faces_dir: Path, style: MaskStyle, colour: str
) -> None:
    frame, truth = masked_face(faces_dir, style, colour)
    assert len(analyzer.detector.detect(frame)) == 0, "YuNet alone should miss this face"
    found = analyzer.analyze(frame)
    assert len(found) == 1
    assert float(box_iou_batch(found.faces.box_xyxy, truth[None])[0, 0]) >= 0.5
    assert found.mask_probability[0] >= DEFAULT_THRESHOLD
    assert found.faces.landmarks_xy is not None
    right_eye, left_eye = found.faces.landmarks_xy[0, :2]
    assert right_eye[0] < left_eye[0]  # YuNet's order, whichever pass found it


def test_a_face_yunet_finds_comes_back_once(
    analyzer: FaceAnalyzer, astronaut_bgr: ImageBGR
) -> None:
    # Every pass finds the astronaut too; NMS and the overlap rule leave YuNet's one box.
    yunet = analyzer.detector.detect(astronaut_bgr)
    found = analyzer.find(astronaut_bgr)
    assert len(yunet) == 1 and len(found) == 1
    np.testing.assert_array_equal(found.box_xyxy, yunet.box_xyxy)


def test_mirror_back_puts_a_mirrored_face_on_the_original(
    analyzer: FaceAnalyzer, astronaut_bgr: ImageBGR
) -> None:
    w = astronaut_bgr.shape[1]
    direct = analyzer.detector.detect(astronaut_bgr)
    back = mirror_back(analyzer.detector.detect(np.ascontiguousarray(astronaut_bgr[:, ::-1])), w)
    assert direct.landmarks_xy is not None and back.landmarks_xy is not None
    eye_px = float(np.linalg.norm(direct.landmarks_xy[0, 1] - direct.landmarks_xy[0, 0]))
    assert float(box_iou_batch(back.box_xyxy, direct.box_xyxy)[0, 0]) > 0.9
    assert np.all(
        np.linalg.norm(back.landmarks_xy[0] - direct.landmarks_xy[0], axis=1) < 0.15 * eye_px
    )


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket"])
def test_no_face_where_there_is_none(analyzer: FaceAnalyzer, name: str) -> None:
    from skimage import data

    rgb = np.asarray(getattr(data, name)(), np.uint8)
    image = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), None, fx=0.5, fy=0.5)
    assert len(analyzer.find(image)) == 0
