"""Mask votes in footage: a face votes masked only when the classifier and the lower face's
colour agree (issue 15 part 6: rendered and shrunk real bare faces were voted masked);
faces too small for the classifier vote by the lower face's loss of skin colour alone,
and narrower ones cast none."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from tests.vision.test_mask import yunet_faces

from cctrace.core.types import Detections
from cctrace.ingest.aggregate import TrackEvidence, build_sighting
from cctrace.sim.contact_scene import ContactCondition, make_contact_scenario
from cctrace.sim.masks import COLOURS_BGR, draw_mask
from cctrace.sim.render import CameraRenderer
from cctrace.tracking.bytetrack import Track
from cctrace.vision.mask import (
    LOWER_FACE_MIN_CHROMA,
    MIN_SMALL_VOTE_FACE_PX,
    MIN_VOTE_FACE_PX,
    SMALL_FACE_MIN_SKIN_LOSS,
    OnnxMaskClassifier,
    footage_mask_votes,
    lower_face_chroma,
    lower_face_skin_loss,
    small_face_mask_votes,
)

Image = NDArray[np.uint8]


def shrunk(image: Image, box: NDArray[np.float32], width_px: float) -> tuple[Image, NDArray]:  # type: ignore[type-arg]
    """The image shrunk so that the face box is ``width_px`` wide, JPEG 75 as a recorder."""
    scale = width_px / float(box[2] - box[0])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8), (box * scale)[None]


@pytest.fixture(scope="module")
def astronaut_pair(astronaut_bgr: Image) -> tuple[Image, Image, NDArray[np.float32]]:
    """(bare, masked with a light blue surgical mask, YuNet's face box)."""
    faces = yunet_faces(astronaut_bgr)
    assert faces.landmarks_xy is not None
    masked = draw_mask(astronaut_bgr, faces.landmarks_xy[0], "surgical", COLOURS_BGR["light_blue"])
    return astronaut_bgr, masked, faces.box_xyxy[0]


@pytest.mark.parametrize("width_px", [24.0, 32.0])
def test_real_face_at_cctv_size_votes_by_what_it_wears(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]], width_px: float
) -> None:
    bare, masked, box = astronaut_pair
    classifier = OnnxMaskClassifier()
    for image, truth in ((bare, False), (masked, True)):
        small, boxes = shrunk(image, box, width_px)
        faces = Detections(boxes, np.ones(1, np.float32))
        prob = classifier.predict(small, faces)
        assert footage_mask_votes(small, boxes, prob) == [truth]


def test_face_narrower_than_the_limit_casts_no_vote(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]],
) -> None:
    _, masked, box = astronaut_pair
    small, boxes = shrunk(masked, box, MIN_VOTE_FACE_PX - 4)
    assert footage_mask_votes(small, boxes, np.ones(1, np.float32)) == [None]


@pytest.mark.parametrize("width_px", [13.0, 16.0, 19.0])
def test_face_too_small_for_the_classifier_votes_by_colour(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]], width_px: float
) -> None:
    bare, masked, box = astronaut_pair
    for image, truth in ((bare, False), (masked, True)):
        small, boxes = shrunk(image, box, width_px)
        assert small_face_mask_votes(small, boxes) == [truth]
        assert footage_mask_votes(small, boxes, np.ones(1, np.float32)) == [None]


def test_colour_vote_only_between_its_widths(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]],
) -> None:
    _, masked, box = astronaut_pair
    for width_px in (MIN_SMALL_VOTE_FACE_PX - 2, MIN_VOTE_FACE_PX + 4):
        small, boxes = shrunk(masked, box, width_px)
        assert small_face_mask_votes(small, boxes) == [None]


def test_eyes_in_shadow_are_not_a_mask(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]],
) -> None:
    """A bare face whose upper half is in shadow (hair, a cap) differs in colour between
    its bands as a masked one does, but its lower face is the more skin-coloured: the
    colour vote leaves it bare (a real photo of such a face in bench_mask_width scored
    chroma 18 with no mask)."""
    bare, _, box = astronaut_pair
    shaded = bare.astype(np.float32)
    x1, y1, x2, y2 = (int(v) for v in box)
    mid = y1 + (y2 - y1) // 2
    shaded[y1:mid, x1:x2] *= 0.3
    small, boxes = shrunk(np.clip(shaded, 0, 255).astype(np.uint8), box, 16.0)
    assert lower_face_chroma(small, boxes)[0] >= LOWER_FACE_MIN_CHROMA
    assert lower_face_skin_loss(small, boxes)[0] < SMALL_FACE_MIN_SKIN_LOSS
    assert small_face_mask_votes(small, boxes) == [False]


def test_colour_check_overrules_a_classifier_that_says_masked_on_skin(
    astronaut_pair: tuple[Image, Image, NDArray[np.float32]],
) -> None:
    """The harmful error: a bare face the classifier scores masked (as it does many small,
    dark or rendered bare faces) is not voted masked, because its lower face shows the
    upper face's colour; without the check it would be."""
    bare, _, box = astronaut_pair
    small, boxes = shrunk(bare, box, 24.0)
    sure = np.full(1, 0.95, np.float32)
    assert lower_face_chroma(small, boxes)[0] < LOWER_FACE_MIN_CHROMA
    assert footage_mask_votes(small, boxes, sure) == [False]
    assert footage_mask_votes(small, boxes, sure, colour_check=False) == [True]


def test_rendered_mask_stands_out_from_skin_at_17_px() -> None:
    """On a rendered contact scene (seed 2: faces 16-17 px wide, a black cloth mask) the
    lower-face colour separates the masked contact from the bare patient and passers-by.
    One scene only: building a renderer takes seconds (bench_mask_width measures six)."""
    scenario = make_contact_scenario(2, ContactCondition(masked=True))
    frame = CameraRenderer(scenario, scenario.cameras[0].camera_id).render(4.0, 0, with_truth=True)
    seen = 0
    for figure in frame.figures:
        if figure.face_box_xyxy is None:
            continue
        box = np.asarray(figure.face_box_xyxy, np.float32)[None]
        chroma = float(lower_face_chroma(frame.image_bgr, box)[0])
        assert (chroma >= LOWER_FACE_MIN_CHROMA) == figure.masked, figure.person_id
        assert small_face_mask_votes(frame.image_bgr, box) == [figure.masked]
        seen += figure.masked
    assert seen == 1


def test_sighting_of_faces_too_small_to_vote_has_unknown_mask() -> None:
    track = Track(
        7,
        np.array([0.0, 1.0]),
        np.array([[100, 100, 140, 220], [102, 100, 142, 220]], np.float32),
        np.ones(2, np.float32),
    )
    crop = np.zeros((112, 112, 3), np.uint8)
    embedding = np.ones(512, np.float32)

    def sighting(votes: list[bool | None]) -> float | None:
        evidence = TrackEvidence()
        for vote in votes:
            evidence.add_face(embedding, 0.5, vote, crop)
        s = build_sighting(
            track=track,
            evidence=evidence,
            camera_id="cam",
            video_id="v" * 64,
            start_epoch_s=0.0,
            image_size_px=(640, 480),
            calibration=None,
        )
        assert s.face_count == len(votes)
        return s.mask_ratio

    assert sighting([None, None]) is None
    assert sighting([None, True, False, True]) == pytest.approx(2 / 3)
