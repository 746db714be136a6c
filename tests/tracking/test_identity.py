"""IdentityWatch: where the person in a track's box changed, by clothing colour, face, or a
step in what the box shows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.tracking.identity import (
    BoxContent,
    IdentityJump,
    IdentityWatch,
    box_content,
    crossing_edge,
    picture_distance,
)
from cctrace.video.frames import iter_frames
from tests.conftest import shared_file

RNG = np.random.default_rng(3)


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), np.float32)


def _colour(peak: int, noise: float = 0.05) -> FloatArray:
    """A colour descriptor (40,) that puts most of its weight in one bin."""
    v = np.full(40, noise, np.float32) + RNG.uniform(0, noise, 40).astype(np.float32)
    v[peak] = 1.0
    return _unit(v)


PERSON_A = _unit(RNG.normal(size=128).astype(np.float32))
PERSON_B = _unit(RNG.normal(size=128).astype(np.float32))


def _face(person: FloatArray, noise: float = 0.3) -> tuple[FloatArray, float]:
    return _unit(person + noise * _unit(RNG.normal(size=128).astype(np.float32))), 0.8


def _see(
    watch: IdentityWatch, colours: list[FloatArray], faces: list[tuple[FloatArray, float] | None]
) -> list[IdentityJump]:
    return watch.observe(np.array([5]), np.stack(colours), faces)


def test_one_odd_colour_is_an_obstacle_two_in_a_row_are_someone_else() -> None:
    watch = IdentityWatch()
    for _ in range(4):
        assert _see(watch, [_colour(3)], [None]) == []
    assert _see(watch, [_colour(30)], [None]) == []  # a box cut by a shelf, once
    assert _see(watch, [_colour(3)], [None]) == []
    assert _see(watch, [_colour(30)], [None]) == []
    # The second unlike frame in a row: split before both of them.
    assert _see(watch, [_colour(30)], [None]) == [IdentityJump(5, 2, "colour")]
    watch.rename(5, 9)
    # The new identity's history began with the two frames of the other colour.
    assert watch.observe(np.array([9]), np.stack([_colour(30)]), [None]) == []


def test_two_faces_unlike_the_tracks_faces_end_the_identity_at_the_first() -> None:
    watch = IdentityWatch()
    for _ in range(3):
        assert _see(watch, [_colour(3)], [_face(PERSON_A)]) == []
    # Same clothes, another face: once could be a poor face, so nothing yet.
    assert _see(watch, [_colour(3)], [_face(PERSON_B)]) == []
    assert _see(watch, [_colour(3)], [None]) == []
    # The second one in a row: the track is split where B's face was first seen.
    assert _see(watch, [_colour(3)], [_face(PERSON_B)]) == [IdentityJump(5, 3, "face")]
    # From there the track's faces are B's: B again keeps it, A twice ends it again.
    assert _see(watch, [_colour(3)], [_face(PERSON_B)]) == []
    assert _see(watch, [_colour(3)], [_face(PERSON_A)]) == []
    assert _see(watch, [_colour(3)], [_face(PERSON_A)]) == [IdentityJump(5, 2, "face")]


def test_one_odd_face_between_good_ones_is_forgiven() -> None:
    watch = IdentityWatch()
    faces = [PERSON_A, PERSON_A, PERSON_B, PERSON_A, PERSON_A, PERSON_B, PERSON_A]
    assert all(_see(watch, [_colour(3)], [_face(f)]) == [] for f in faces)


@pytest.mark.parametrize("noise", [0.3, 0.6])
def test_the_same_face_seen_noisily_never_splits(noise: float) -> None:
    watch = IdentityWatch()
    jumps = [_see(watch, [_colour(3)], [_face(PERSON_A, noise)]) for _ in range(40)]
    assert all(j == [] for j in jumps)


def test_a_single_face_is_not_yet_trusted_and_forget_drops_a_track() -> None:
    watch = IdentityWatch()
    _see(watch, [_colour(3)], [_face(PERSON_A)])
    assert _see(watch, [_colour(3)], [_face(PERSON_B)]) == []  # min_faces = 2
    assert _see(watch, [_colour(3)], [_face(PERSON_B)]) == []
    watch.forget(5)
    assert _see(watch, [_colour(30)], [None]) == []  # a new history, nothing to differ from


# --- What the box shows (BoxContent) ---------------------------------------------------

BOX = np.array([[100.0, 40.0, 160.0, 200.0]], np.float32)


def _room(person_bgr: tuple[int, int, int] | None, dx: int = 0) -> ImageBGR:
    """A 320x240 wall with a person-sized block (shirt colour over dark trousers)."""
    image = np.full((240, 320, 3), (200, 205, 210), np.uint8)
    if person_bgr is not None:
        image[50:120, 110 + dx : 150 + dx] = person_bgr
        image[120:195, 115 + dx : 145 + dx] = (40, 40, 40)
    return image


def _watch_boxes(
    frames: list[ImageBGR], boxes: list[FloatArray], watch: IdentityWatch | None = None
) -> list[list[IdentityJump]]:
    watch = watch or IdentityWatch()
    out, before = [], None
    for image, box in zip(frames, boxes, strict=True):
        content = box_content(image, before, box)
        out.append(watch.observe(np.array([5]), np.stack([_colour(3)]), [None], content))
        before = image
    return out


def test_a_step_in_what_the_box_shows_confirmed_on_the_next_frame_ends_the_identity() -> None:
    grey, black = (120, 120, 120), (30, 30, 30)
    frames = [_room(grey)] * 4 + [_room(black)] * 3
    jumps = _watch_boxes(frames, [BOX] * len(frames))
    # Nothing on the step itself; the next frame confirms it, split before both.
    assert jumps[:5] == [[]] * 5
    assert jumps[5] == [IdentityJump(5, 2, "content")]
    assert jumps[6] == []


def test_a_box_changed_once_or_a_person_who_keeps_moving_keeps_the_identity() -> None:
    grey, black = (120, 120, 120), (30, 30, 30)
    # A passer-by covers the box on one frame only.
    once = [_room(grey)] * 4 + [_room(black)] + [_room(grey)] * 3
    assert all(j == [] for j in _watch_boxes(once, [BOX] * len(once)))
    # The same person walking: the box follows, the picture in it hardly changes.
    walk = [_room(grey, dx) for dx in range(0, 80, 10)]
    boxes = [BOX + np.array([dx, 0, dx, 0], np.float32) for dx in range(0, 80, 10)]
    assert all(j == [] for j in _watch_boxes(walk, boxes))


def test_changing_says_whose_picture_changed_fast_on_its_last_observation() -> None:
    grey, black = (120, 120, 120), (30, 30, 30)
    watch = IdentityWatch()
    # Standing still: the picture hardly changes.
    _watch_boxes([_room(grey)] * 3, [BOX] * 3, watch)
    assert not watch.changing([5])
    # Someone else in front for one frame: a large change on the last observation.
    _watch_boxes([_room(grey), _room(black)], [BOX] * 2, watch)
    assert watch.changing([5])
    assert not watch.changing([6])  # a track it has not seen
    # The new picture holds: calm again.
    _watch_boxes([_room(black), _room(black)], [BOX] * 2, watch)
    assert not watch.changing([5])
    watch.forget(5)
    assert not watch.changing([5])


def _uniform_pictures(
    levels: list[float], boxes: list[FloatArray] | None = None
) -> list[list[IdentityJump]]:
    """Observe one track whose box shows one flat colour per frame (Lab ``level`` in
    every channel), the frame before showing the previous level under the box."""
    watch, out, last = IdentityWatch(), [], levels[0]
    for i, level in enumerate(levels):
        now = np.full((1, 8, 4, 3), level, np.float32)
        before = np.full((1, 8, 4, 3), last, np.float32)
        box = None if boxes is None else np.asarray([boxes[i]], np.float32)
        content = BoxContent(now, before, box, (320, 240))
        out.append(watch.observe(np.array([5]), np.stack([_colour(3)]), [None], content))
        last = level
    return out


def test_a_step_is_confirmed_only_where_the_picture_is_steady_again() -> None:
    # A step of 80, then a change of 15 that stays 65 from the picture before: someone
    # else, standing. Then the same step followed by a change of 30 that stays 50 away:
    # someone who started to move and goes on changing (more than half of 50).
    steady = _uniform_pictures([100.0] * 4 + [20.0, 35.0])
    assert steady[5] == [IdentityJump(5, 2, "content")]
    moving = _uniform_pictures([100.0] * 4 + [20.0, 50.0])
    assert all(j == [] for j in moving)


def test_a_person_walking_in_or_out_of_view_is_no_step() -> None:
    inside = np.array([100.0, 50.0, 160.0, 200.0], np.float32)
    at_right = np.array([270.0, 50.0, 320.0, 200.0], np.float32)
    narrower = np.array([290.0, 50.0, 320.0, 200.0], np.float32)
    at_top = np.array([100.0, 0.0, 160.0, 150.0], np.float32)
    assert crossing_edge(at_right, narrower, (320, 240))  # leaving on the right
    assert crossing_edge(narrower, at_right, (320, 240))  # coming in
    # From inside the frame to the border: a jump to someone walking in still counts.
    assert not crossing_edge(inside, at_right, (320, 240))
    taller_at_top = np.array([100.0, 0.0, 160.0, 190.0], np.float32)
    assert not crossing_edge(at_top, taller_at_top, (320, 240))  # heads at the top border
    # A detector's box of someone cut by the border ends a few pixels short of it.
    at_bottom = np.array([100.0, 120.0, 160.0, 236.0], np.float32)
    assert crossing_edge(at_bottom, np.array([100.0, 90.0, 160.0, 238.0], np.float32), (320, 240))
    grown = np.array([90.0, 40.0, 170.0, 230.0], np.float32)
    assert not crossing_edge(inside, grown, (320, 240))  # inside the frame
    assert not crossing_edge(None, at_right, (320, 240))
    with pytest.raises(ValueError, match="frame's size"):
        BoxContent(
            np.zeros((1, 8, 4, 3), np.float32), np.zeros((1, 8, 4, 3), np.float32), inside[None]
        )
    # The steady step above, on boxes that leave the frame: no split.
    boxes = [at_right] * 4 + [narrower, at_right]
    assert all(j == [] for j in _uniform_pictures([100.0] * 4 + [20.0, 35.0], boxes))


def test_without_box_content_nothing_changes_and_an_empty_box_is_no_evidence() -> None:
    grey, black = (120, 120, 120), (30, 30, 30)
    watch = IdentityWatch()
    frames = [_room(grey)] * 4 + [_room(black)] * 3
    assert all(_see(watch, [_colour(3)], [None]) == [] for _ in frames)
    outside = np.array([[400.0, 10.0, 450.0, 100.0]], np.float32)
    content = box_content(frames[0], None, outside)
    assert np.isnan(content.now).all()
    assert picture_distance(content.now[0], content.now[0]) == 0.0


def _video_frames(path: Path, times_s: list[float]) -> list[ImageBGR]:
    wanted, out = sorted(times_s), []
    for frame in iter_frames(path):
        if wanted and frame.t_s >= wanted[0] - 0.01:
            out.append(np.asarray(cv2.resize(frame.image_bgr, (768, 432)), np.uint8))
            wanted.pop(0)
        if not wanted:
            break
    return out


def _boxes(*rows: list[int]) -> list[FloatArray]:
    return [np.asarray([r], np.float32) for r in rows]


def test_a_jump_to_another_moment_of_the_same_room_ends_the_identity(shared_video: Path) -> None:
    # The shared video's first walker at the table (grey cardigan), then the picture
    # jumps to the second walker there (black jacket): the boxes are NanoDet's on these
    # frames and hardly move, and the clothing colours agree too well for the colour
    # rule. bench_cuts.py sweeps such cuts through the whole frame loop.
    first = [9.0, 9.25, 9.5, 9.75, 10.0, 10.25]
    second = [29.5, 29.75, 30.0]
    frames = _video_frames(shared_video, first + second)
    boxes = _boxes(
        [380, 14, 517, 388],
        [380, 14, 517, 388],
        [380, 14, 517, 389],
        [381, 15, 517, 389],
        [381, 14, 517, 388],
        [381, 15, 517, 387],
        [383, 4, 546, 376],
        [382, 4, 546, 376],
        [383, 4, 545, 375],
    )
    jumps = _watch_boxes(frames, boxes)
    assert [j for j in jumps if j] == [[IdentityJump(5, 2, "content")]]
    assert jumps[len(first) + 1] != []
    # The same walker without the jump: no split.
    assert all(j == [] for j in _watch_boxes(frames[: len(first)], boxes[: len(first)]))


def test_a_box_that_loses_an_arm_keeps_the_identity() -> None:
    # store-aisle-detection.gif: a shopper draws his arm in; NanoDet's box narrows from
    # 137 to 104 px at once, which moves everything in the box's picture.
    path = shared_file("intel-sample-videos/store-aisle-detection.gif")
    times = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5]
    boxes = _boxes(
        [373, 103, 512, 409],
        [377, 102, 513, 411],
        [375, 102, 512, 410],
        [373, 101, 510, 411],
        [376, 102, 511, 409],
        [421, 101, 525, 419],
        [422, 101, 526, 413],
        [424, 102, 534, 401],
        [424, 100, 537, 407],
        [422, 105, 543, 386],
    )
    assert all(j == [] for j in _watch_boxes(_video_frames(path, times), boxes))
