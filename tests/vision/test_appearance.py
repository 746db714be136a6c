"""Appearance descriptors on the real model and real crops (no mocks)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import ModelError
from cctrace.core.types import Detections
from cctrace.vision.appearance import (
    CNN_DIM,
    COLOUR_DIM,
    AppearanceDescriber,
    AppearanceDescriptor,
    AppearanceEmbedder,
    OnnxAppearanceEmbedder,
    appearance_similarity,
    appearance_similarity_matrix,
    colour_descriptors,
)

Frame = NDArray[np.uint8]

# Person boxes (x1, y1, x2, y2) in the 768x432 shared video, checked by eye on contact
# sheets. People cross one at a time and never return: A (frames 62-196, grey cardigan),
# B (229-446, man in a black jacket), C (506-696, long fair hair, black clothes),
# D (745-866, man in a black T-shirt).
VIDEO_BOXES = {
    80: (377.0, 18.0, 523.0, 395.0),  # A
    100: (382.0, 10.0, 516.0, 385.0),  # A
    300: (380.0, 4.0, 544.0, 380.0),  # B
    550: (396.0, 0.0, 556.0, 390.0),  # C
    775: (364.0, 36.0, 506.0, 376.0),  # D
}
PERSON = {80: "A", 100: "A", 300: "B", 550: "C", 775: "D"}
SHIFT_PX = (8.0, 6.0)  # a box jitter a detector produces between neighbouring frames


def dets(*boxes: tuple[float, float, float, float]) -> Detections:
    return Detections(np.array(boxes, np.float32), np.ones(len(boxes), np.float32))


def shifted(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    dx, dy = SHIFT_PX
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


@pytest.fixture(scope="module")
def embedder() -> OnnxAppearanceEmbedder:
    return OnnxAppearanceEmbedder()


@pytest.fixture(scope="module")
def describer(embedder: OnnxAppearanceEmbedder) -> AppearanceDescriber:
    return AppearanceDescriber(embedder)


@pytest.fixture(scope="module")
def video_frames(shared_video: Path) -> dict[int, Frame]:
    frames: dict[int, Frame] = {}
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in VIDEO_BOXES:
                frames[index] = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
            if len(frames) == len(VIDEO_BOXES):
                break
    assert set(frames) == set(VIDEO_BOXES)
    return frames


def describe_one(
    describer: AppearanceDescriber, image: Frame, box: tuple[float, float, float, float]
) -> AppearanceDescriptor:
    (descriptor,) = describer.describe(image, dets(box))
    return descriptor


def test_missing_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(
        ModelError, match=r"appearance_mobilenetv2\.onnx \(appearance\) is missing.*make models"
    ):
        OnnxAppearanceEmbedder()


def test_embeddings_are_unit_length_and_batched(
    embedder: OnnxAppearanceEmbedder, astronaut_bgr: Frame
) -> None:
    as_protocol: AppearanceEmbedder = embedder  # mypy checks the class fits the protocol
    assert as_protocol.dim == CNN_DIM
    boxes = ((18.0, 15.0, 365.0, 512.0), (100.0, 50.0, 300.0, 300.0), (0.0, 0.0, 512.0, 512.0))
    batch = embedder.embed(astronaut_bgr, dets(*boxes))
    assert batch.shape == (3, CNN_DIM)
    assert batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    one_by_one = np.concatenate([embedder.embed(astronaut_bgr, dets(b)) for b in boxes])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-5)
    assert embedder.embed(astronaut_bgr, Detections.empty()).shape == (0, CNN_DIM)


def test_boxes_outside_the_image_are_clipped(
    embedder: OnnxAppearanceEmbedder, astronaut_bgr: Frame
) -> None:
    out = embedder.embed(astronaut_bgr, dets((-50.0, -50.0, 600.0, 700.0), (510.0, 0, 530.0, 9)))
    assert out.shape == (2, CNN_DIM)
    assert np.all(np.isfinite(out))


def test_colour_descriptor_is_unit_length_and_a_bhattacharyya_mean(
    astronaut_bgr: Frame,
) -> None:
    colour = colour_descriptors(astronaut_bgr, dets((18.0, 15.0, 365.0, 512.0), (0, 0, 100, 100)))
    assert colour.shape == (2, COLOUR_DIM)
    assert np.all(colour >= 0)
    np.testing.assert_allclose(np.linalg.norm(colour, axis=1), 1.0, atol=1e-5)
    sim = float(colour[0] @ colour[1])
    assert 0.0 <= sim <= 1.0


def test_shifted_crop_beats_another_picture(
    embedder: OnnxAppearanceEmbedder, astronaut_bgr: Frame, grace_hopper_path: Path
) -> None:
    grace = cv2.imread(str(grace_hopper_path))
    assert grace is not None
    box = (18.0, 15.0, 365.0, 512.0)
    astro = embedder.embed(astronaut_bgr, dets(box, shifted(box)))
    other = embedder.embed(np.asarray(grace, np.uint8), dets((0.0, 0.0, 512.0, 600.0)))
    assert float(astro[0] @ astro[1]) > float(astro[0] @ other[0]) + 0.1


@pytest.mark.parametrize("part", ["cnn", "colour", "combined"])
def test_shifted_person_beats_other_people(
    describer: AppearanceDescriber, video_frames: dict[int, Frame], part: str
) -> None:
    def sim(a: AppearanceDescriptor, b: AppearanceDescriptor) -> float:
        if part == "cnn":
            return float(a.cnn @ b.cnn)
        if part == "colour":
            return float(a.colour @ b.colour)
        return appearance_similarity(a, b)

    people = {i: describe_one(describer, video_frames[i], VIDEO_BOXES[i]) for i in VIDEO_BOXES}
    for i, ref in people.items():
        moved = describe_one(describer, video_frames[i], shifted(VIDEO_BOXES[i]))
        others = [sim(ref, d) for j, d in people.items() if PERSON[j] != PERSON[i]]
        assert sim(ref, moved) > max(others), (i, sim(ref, moved), others)


def test_same_person_in_another_frame_beats_other_people(
    describer: AppearanceDescriber, video_frames: dict[int, Frame]
) -> None:
    people = [describe_one(describer, video_frames[i], VIDEO_BOXES[i]) for i in VIDEO_BOXES]
    sim = appearance_similarity_matrix(people, people)
    assert sim.shape == (5, 5)
    np.testing.assert_allclose(sim, sim.T, atol=1e-6)
    same_a = sim[0, 1]  # frames 80 and 100, person A
    assert same_a > sim[0, 2:].max()
    assert same_a > sim[1, 2:].max()


def test_track_mean_stays_unit_length(
    describer: AppearanceDescriber, video_frames: dict[int, Frame]
) -> None:
    track = [describe_one(describer, video_frames[i], VIDEO_BOXES[i]) for i in (80, 100)]
    mean = AppearanceDescriptor.mean(track)
    assert mean.cnn.shape == (CNN_DIM,)
    assert mean.colour.shape == (COLOUR_DIM,)
    assert abs(float(np.linalg.norm(mean.cnn)) - 1.0) < 1e-5
    assert abs(float(np.linalg.norm(mean.colour)) - 1.0) < 1e-5
    assert appearance_similarity(mean, track[0]) > 0.9
    with pytest.raises(ValueError, match="zero"):
        AppearanceDescriptor.mean([])


def test_appearance_vector_round_trip() -> None:
    from cctrace.vision.appearance import (
        COLOUR_DIM,
        AppearanceDescriptor,
        appearance_from_vector,
        appearance_to_vector,
    )

    rng = np.random.default_rng(0)
    d = AppearanceDescriptor(rng.random(CNN_DIM, np.float32), rng.random(COLOUR_DIM, np.float32))
    back = appearance_from_vector(appearance_to_vector(d))
    np.testing.assert_array_equal(back.cnn, d.cnn)
    np.testing.assert_array_equal(back.colour, d.colour)
    with pytest.raises(ValueError, match="expected"):
        appearance_from_vector(np.zeros(10, np.float32))
