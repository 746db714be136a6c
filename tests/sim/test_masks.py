"""Synthetic masks: they cover nose, mouth and chin, spare the eyes, follow head roll."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.sim.masks import COLOURS_BGR, STYLES, MaskStyle, draw_mask

# A frontal face, 40 px between the eyes (YuNet order: image-left eye first).
LANDMARKS = np.array([[80, 100], [120, 100], [100, 125], [84, 150], [116, 150]], np.float32)


def grey_image() -> NDArray[np.uint8]:
    return np.full((240, 200, 3), 128, np.uint8)


def changed(before: NDArray[np.uint8], after: NDArray[np.uint8], xy: NDArray[np.float32]) -> bool:
    x, y = np.round(xy).astype(int)
    return bool(np.any(before[y, x] != after[y, x]))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("colour", ["white", "light_blue", "black"])
def test_mask_covers_lower_face_and_spares_eyes(style: MaskStyle, colour: str) -> None:
    image = grey_image()
    out = draw_mask(image, LANDMARKS, style, COLOURS_BGR[colour])
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.all(image == 128), "the input image must not be modified"
    mouth = (LANDMARKS[3] + LANDMARKS[4]) / 2
    chin = mouth + np.array([0, 20], np.float32)
    for point in (LANDMARKS[2], LANDMARKS[3], LANDMARKS[4], mouth, chin):
        assert changed(image, out, point), f"{style}: {point} not covered"
    for eye in LANDMARKS[:2]:
        assert not changed(image, out, eye), f"{style}: eye at {eye} covered"
    cheek_to_cheek = np.nonzero(np.any(out[150] != 128, axis=1))[0]
    assert cheek_to_cheek.max() - cheek_to_cheek.min() >= 60  # wider than the mouth


def test_mask_follows_head_roll() -> None:
    angle = np.deg2rad(30)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.array([100, 125], np.float32)
    rolled = ((LANDMARKS - centre) @ rot.T + centre).astype(np.float32)
    image = grey_image()
    out = draw_mask(image, rolled, "surgical")
    for point in rolled[2:]:
        assert changed(image, out, point)
    for eye in rolled[:2]:
        assert not changed(image, out, eye)


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mask style"):
        draw_mask(grey_image(), LANDMARKS, "balaclava")  # type: ignore[arg-type]
