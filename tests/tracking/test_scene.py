"""SceneCutDetector on real frames: the shared video's walk is one scene; a cut into
another camera's view, or a freeze that ends with the tracked people elsewhere, is not."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.core.types import ImageBGR
from cctrace.tracking.scene import SceneCutDetector
from cctrace.video.frames import iter_frames
from tests.conftest import shared_file

NO_BOXES = np.zeros((0, 4), np.float32)
BOX = np.array([[300.0, 100.0, 380.0, 330.0]], np.float32)
"""A tracked person's box (768x432 pixels); where exactly does not matter to the image."""


@pytest.fixture(scope="module")
def walk(shared_video: Path) -> list[tuple[float, ImageBGR]]:
    """The shared video's first passage (a person crossing the room), every 0.2 s."""
    out = []
    for frame in iter_frames(shared_video):
        if frame.t_s > 20.0:
            break
        if frame.index % 2 == 0:
            out.append((frame.t_s, frame.image_bgr))
    return out


def _gif_frame(name: str) -> ImageBGR:
    frame = next(iter(iter_frames(shared_file(f"intel-sample-videos/{name}"))))
    return np.asarray(cv2.resize(frame.image_bgr, (768, 432)), np.uint8)


def test_people_walking_through_one_view_make_no_cut(walk: list[tuple[float, ImageBGR]]) -> None:
    detector = SceneCutDetector()
    cuts = [t for t, image in walk if detector.is_cut(image, t, BOX, BOX)]
    assert cuts == []


@pytest.mark.parametrize("gif", ["store-aisle-detection.gif", "classroom.gif"])
def test_a_cut_into_another_view_is_seen(walk: list[tuple[float, ImageBGR]], gif: str) -> None:
    detector = SceneCutDetector()
    for t, image in walk[60:65]:
        assert not detector.is_cut(image, t, BOX, BOX)
    assert detector.is_cut(_gif_frame(gif), walk[65][0], BOX, NO_BOXES)
    detector.reset()  # a resumed run has no previous frame to compare with
    assert not detector.is_cut(walk[66][1], walk[66][0], BOX, BOX)


def test_a_freeze_then_a_jump_is_a_cut_a_freeze_then_the_same_boxes_is_not(
    walk: list[tuple[float, ImageBGR]],
) -> None:
    t0, frozen = walk[60]
    moved = walk[70][1]
    jumped = BOX + np.array([200.0, 0.0, 200.0, 0.0], np.float32)
    for boxes_after, expected in ((jumped, True), (BOX + 5.0, False)):
        detector = SceneCutDetector()
        for k in range(5):  # the recorder repeats one picture for a second
            assert not detector.is_cut(frozen, t0 + 0.25 * k, BOX, BOX)
        assert detector.is_cut(moved, t0 + 1.25, BOX, boxes_after) is expected
    # The same stillness with nobody tracked is an empty room, not a freeze.
    detector = SceneCutDetector()
    for k in range(5):
        detector.is_cut(frozen, t0 + 0.25 * k, NO_BOXES, NO_BOXES)
    assert not detector.is_cut(moved, t0 + 1.25, BOX, jumped)
