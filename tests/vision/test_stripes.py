"""Stripe features and the cross-camera descriptor on real crops of the shared video."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.vision.reid import ReidDescriber, reid_similarity_matrix
from cctrace.vision.stripes import COLOUR_DIM, TEXTURE_DIM, retinex, stripe_features

Frame = NDArray[np.uint8]

# Person boxes in the shared video, checked by eye (as in test_appearance.py): A at
# frames 80 and 100 (grey cardigan), B (black jacket), C (long fair hair), D (black T-shirt).
BOXES = {
    80: (377, 18, 523, 395),
    100: (382, 10, 516, 385),
    300: (380, 4, 544, 380),
    550: (396, 0, 556, 390),
    775: (364, 36, 506, 376),
}


@pytest.fixture(scope="module")
def crops(shared_video: Path) -> dict[int, Frame]:
    out: dict[int, Frame] = {}
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in BOXES:
                x1, y1, x2, y2 = BOXES[index]
                image = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
                out[index] = np.ascontiguousarray(image[y1:y2, x1:x2])
            if len(out) == len(BOXES):
                break
    assert set(out) == set(BOXES)
    return out


def other_camera(crop: Frame) -> Frame:
    """The crop as a warmer, darker camera at two thirds the resolution would give it."""
    gain = np.array([0.75, 0.9, 1.15], np.float32)  # B, G, R
    out = np.clip(crop.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    h, w = out.shape[:2]
    small: Frame = cv2.resize(out, (w * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA)
    return small


def test_shapes_and_unit_rows(crops: dict[int, Frame]) -> None:
    f = stripe_features([crops[80], crops[300], np.zeros((5, 3, 3), np.uint8)])
    assert f.colour.shape == (3, COLOUR_DIM) and f.texture.shape == (3, TEXTURE_DIM)
    np.testing.assert_allclose(np.linalg.norm(f.colour, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(f.texture, axis=1), 1.0, atol=1e-5)
    assert stripe_features([]).colour.shape == (0, COLOUR_DIM)


def test_retinex_cancels_a_channel_gain(crops: dict[int, Frame]) -> None:
    crop = crops[300]
    gained = np.clip(crop.astype(np.float32) * [0.8, 1.0, 1.2], 0, 255).astype(np.uint8)
    diff = np.abs(retinex(crop).astype(np.int16) - retinex(gained).astype(np.int16))
    # Equal but for rounding and the pixels the gain clipped at 255.
    assert float(np.median(diff)) <= 2.0


def test_same_person_under_another_camera_ranks_first(crops: dict[int, Frame]) -> None:
    """A at frame 80 through a warmer, smaller camera is nearest to A at frame 100, by the
    stripe parts alone and by the combined descriptor."""
    query = other_camera(crops[80])
    gallery_frames = [100, 300, 550, 775]
    gallery = [crops[i] for i in gallery_frames]
    f_q, f_g = stripe_features([query]), stripe_features(gallery)
    assert int(np.argmax(f_q.colour @ f_g.colour.T)) == 0
    assert int(np.argmax(f_q.texture @ f_g.texture.T)) == 0
    describer = ReidDescriber()
    sim = reid_similarity_matrix(
        describer.describe_crops([query]), describer.describe_crops(gallery)
    )
    assert sim.shape == (1, 4)
    assert int(np.argmax(sim[0])) == 0
    assert float(sim.min()) >= 0.0 and float(sim.max()) <= 1.0 + 1e-5
