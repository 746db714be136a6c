from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cctrace.core.types import Detections, ImageBGR
from cctrace.video.images import load_image
from cctrace.vision.analyze import FaceAnalyzer, head_regions_xyxy


class NoFaces:
    """A face detector that finds nothing: stands in for YuNet missing a (masked) face."""

    name = "none"

    def detect(self, image_bgr: ImageBGR) -> Detections:
        return Detections.empty(with_landmarks=True)


@pytest.fixture(scope="module")
def hopper(grace_hopper_path: Path) -> ImageBGR:
    return load_image(grace_hopper_path)


def _person_box(image: ImageBGR) -> Detections:
    h, w = image.shape[:2]
    # Grace Hopper's portrait: head and shoulders fill the frame; a person box that
    # would extend below the picture starts a little above her hair.
    return Detections(np.array([[0, 0, w, 2.4 * h]], np.float32), np.array([0.9], np.float32))


def test_head_regions_sit_on_top_of_person_boxes() -> None:
    persons = Detections(np.array([[100, 50, 160, 250]], np.float32), np.array([0.9]))
    [head] = head_regions_xyxy(persons)
    assert head[1] == 50 and head[0] >= 100 and head[2] <= 160
    assert head[2] - head[0] == pytest.approx(60)


def test_fallback_recovers_a_face_the_first_detector_missed(hopper: ImageBGR) -> None:
    reference = FaceAnalyzer().analyze(hopper, Detections.empty())  # YuNet's face
    assert len(reference) == 1
    analyzer = FaceAnalyzer(detector=NoFaces())
    # A video frame: the first detector alone, nobody in view to search further.
    assert len(analyzer.analyze(hopper, Detections.empty())) == 0
    recovered = analyzer.analyze(hopper, _person_box(hopper))
    assert len(recovered) == 1
    # A photo: the whole cascade runs on it.
    assert len(analyzer.analyze(hopper)) == 1
    # the recovered face is the same face, in image coordinates
    ref_c = reference.faces.box_xyxy[0].reshape(2, 2).mean(axis=0)
    got_c = recovered.faces.box_xyxy[0].reshape(2, 2).mean(axis=0)
    ref_w = reference.faces.box_xyxy[0, 2] - reference.faces.box_xyxy[0, 0]
    assert np.linalg.norm(ref_c - got_c) < 0.25 * ref_w
    # and it is usable for recognition: the embedding matches the YuNet one
    assert float(recovered.embedding[0] @ reference.embedding[0]) > 0.5


def test_fallback_adds_nothing_where_a_face_was_found(hopper: ImageBGR) -> None:
    analysis = FaceAnalyzer().analyze(hopper, _person_box(hopper))
    assert len(analysis) == 1
