"""The adaptive analysis rate: calm scenes at half rate, never a skip where it matters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cctrace.core.types import Detections
from cctrace.ingest.rate import (
    RatePolicy,
    anyone_near,
    fallback_heads,
    new_window,
    should_analyse,
    tiles_needed,
    tracked_person_missed,
)
from cctrace.tracking.bytetrack import ByteTracker, LiveTrack

POLICY = RatePolicy()


def _track(x: float, confirmed: bool = True, t_update_s: float = 1.0, h: float = 170) -> LiveTrack:
    return LiveTrack(confirmed, t_update_s, np.array([x, 100, x + 60, 100 + h], np.float32))


@pytest.mark.parametrize(
    ("tracks", "t_s", "expected", "why"),
    [
        ([], 1.25, True, "nobody in view: the motion gate decides"),
        ([_track(0)], 1.25, False, "one calm walker, one sample after the last analysed"),
        ([_track(0)], 1.5, True, "one calm walker, two samples after"),
        ([_track(0, confirmed=False)], 1.25, True, "a tentative track must be confirmed"),
        ([_track(0, t_update_s=0.75)], 1.25, True, "missed at the last analysed frame"),
        ([_track(0), _track(200)], 1.25, True, "two people 200 px apart at 170 px tall"),
        ([_track(0), _track(1000)], 1.25, False, "two people far apart"),
    ],
)
def test_rule(tracks: list[LiveTrack], t_s: float, expected: bool, why: str) -> None:
    assert should_analyse(t_s, 4.0, 1.0, tracks, POLICY) is expected, why


def test_a_person_whose_picture_changes_fast_is_analysed_at_every_sample() -> None:
    # The same calm walker as above, one sample after the last analysed frame: skipped,
    # unless the identity check saw the picture in the box change fast there.
    assert not should_analyse(1.25, 4.0, 1.0, [_track(0)], POLICY)
    assert should_analyse(1.25, 4.0, 1.0, [_track(0)], POLICY, changing=True)


def test_a_sparse_sampling_rate_is_never_halved() -> None:
    # At 2 or 3 samples a second, skipping every other one would leave fewer than 2
    # looks a second (a walker near the camera moves beyond the tracker's reach in a
    # second); at 5 a second, 2.5 stay, and the calm skip applies.
    assert should_analyse(1.5, 2.0, 1.0, [_track(0)], POLICY)
    assert should_analyse(5 / 3, 3.0, 4 / 3, [_track(0, t_update_s=4 / 3)], POLICY)
    assert not should_analyse(1.4, 5.0, 1.2, [_track(0, t_update_s=1.2)], POLICY)
    assert not should_analyse(1.5, 2.0, 1.0, [_track(0)], RatePolicy(min_calm_fps=1.0))


def test_off_means_every_sample() -> None:
    assert should_analyse(1.25, 4.0, 1.0, [_track(0)], RatePolicy(calm_every=1))


@pytest.mark.parametrize("gap_heights", [0.0, 0.5, 1.0, 1.5, 1.99])
def test_near_in_any_direction(gap_heights: float) -> None:
    for angle in np.linspace(0, 2 * math.pi, 8, endpoint=False):
        dx, dy = gap_heights * 170 * math.cos(angle), gap_heights * 170 * math.sin(angle)
        a = LiveTrack(True, 1.0, np.array([500, 500, 560, 670], np.float32))
        b = LiveTrack(True, 1.0, np.array([500 + dx, 500 + dy, 560 + dx, 670 + dy], np.float32))
        assert anyone_near([a, b], POLICY.near_heights)


def test_two_walkers_meeting_are_analysed_at_every_sample_while_close() -> None:
    """Drive the real tracker with two people walking towards each other and apart
    (boxes 170 px tall, 60 px/s each): every sample while their centres are closer than
    two heights is analysed (the rule reads the tracker's predicted boxes), and the
    tracker keeps one ID per person throughout."""
    tracker = ByteTracker(first_track_id=1)
    fps = 4.0
    analysed: list[float] = []
    ids: dict[int, set[int]] = {0: set(), 1: set()}
    for k in range(int(30 * fps)):
        t = k / fps
        xa, xb = 100 + 60 * t, 1900 - 60 * t
        close = math.hypot(xa - xb, 120) < POLICY.near_heights * 170
        if not should_analyse(t, fps, tracker.t_last_s, tracker.live(t), POLICY):
            assert not close, f"skipped t={t} while the two were {abs(xa - xb):.0f} px apart"
            continue
        analysed.append(t)
        dets = Detections(
            np.array([[xa, 300, xa + 60, 470], [xb, 420, xb + 60, 590]], np.float32),
            np.array([0.9, 0.9], np.float32),
        )
        tracked = tracker.update(dets, t)
        for top, tid in zip(tracked.detections.box_xyxy[:, 1], tracked.track_id, strict=True):
            ids[0 if top < 400 else 1].add(int(tid))
    assert ids[0] and ids[1] and len(ids[0]) == 1 and len(ids[1]) == 1 and ids[0] != ids[1]
    # Calm stretches (far apart) ran at half rate: clearly fewer frames than samples.
    assert len(analysed) < 0.75 * 30 * fps


@pytest.mark.parametrize(
    ("t_s", "t_last_tiled_s", "height_px", "expected", "why"),
    [
        (1.0, 0.75, 400, True, "a new one-second window: look for small newcomers"),
        (1.0, -math.inf, 400, True, "nothing tiled yet"),
        (1.5, 1.0, 400, False, "a tall person: the full-frame pass sees them"),
        (1.5, 1.0, 150, False, "a small person: tiles only if the full-frame pass misses"),
    ],
)
def test_tiles_only_where_a_small_person_can_be(
    t_s: float, t_last_tiled_s: float, height_px: float, expected: bool, why: str
) -> None:
    shrink = 1920 / 416
    tracks = [_track(0, h=height_px)]
    assert tiles_needed(t_s, t_last_tiled_s, tracks, shrink, POLICY) is expected, why


def test_the_rule_before_tiled_every_frame_while_a_small_person_was_tracked() -> None:
    before = RatePolicy(tiles_while_small=True)
    shrink = 1920 / 416
    assert tiles_needed(1.5, 1.0, [_track(0, h=150)], shrink, before)
    assert not tiles_needed(1.5, 1.0, [_track(0, h=400)], shrink, before)


@pytest.mark.parametrize(
    ("t_s", "t_last_s", "every_s", "expected"),
    [
        (0.0, -math.inf, 1.0, True),
        (1.0, 0.75, 1.0, True),
        (1.75, 1.0, 1.0, False),
        (3.0, 2.5, 2.0, False),
        (4.0, 3.75, 2.0, True),
        (2.25, 0.5, 2.0, True),
    ],
)
def test_windows_are_absolute(t_s: float, t_last_s: float, every_s: float, expected: bool) -> None:
    assert new_window(t_s, t_last_s, every_s) is expected


def test_the_face_fallback_waits_for_the_next_window_on_a_head_that_showed_no_face() -> None:
    seen = {1: True, 2: False}
    assert fallback_heads([1, 2, 3], seen).tolist() == [True, False, True]


def test_no_tiles_needed_in_an_empty_scene_between_tiled_frames() -> None:
    assert not tiles_needed(1.5, 1.0, [], 1920 / 416, POLICY)


@pytest.mark.parametrize("t_last_s", [1.0, 1.25])
def test_calm_phase_comes_from_absolute_bins(t_last_s: float) -> None:
    """Whatever the last analysed sample, a calm scene analyses the even bins: a segment
    cut out of the video analyses the same samples as the whole run."""
    tracks = [_track(0, t_update_s=t_last_s)]
    assert should_analyse(1.5, 4.0, t_last_s, tracks, POLICY)
    assert not should_analyse(1.75, 4.0, 1.5, [_track(0, t_update_s=1.5)], POLICY)


@pytest.mark.parametrize(
    ("tracks", "found", "expected", "why"),
    [
        ([], [], False, "nobody tracked"),
        ([_track(0)], [(2, 104, 62, 272)], False, "the walker's predicted box is detected"),
        ([_track(0)], [], True, "the only tracked person was not detected"),
        ([_track(0), _track(300)], [(2, 104, 62, 272)], True, "one of two tracked is missing"),
        ([_track(0, confirmed=False, h=400)], [], False, "a tall tentative one may be false"),
        ([_track(0)], [(400, 100, 460, 270)], True, "a detection elsewhere is someone else"),
        ([_track(0, confirmed=False, h=150)], [], True, "a small newcomer: the tiles found it"),
        ([_track(0, confirmed=False, h=150)], [(2, 102, 62, 250)], False, "found in full frame"),
    ],
)
def test_a_tracked_person_missed_by_the_full_frame_pass(
    tracks: list[LiveTrack], found: list[tuple[float, ...]], expected: bool, why: str
) -> None:
    boxes = np.asarray(found, np.float32).reshape(-1, 4)
    small_below_px = POLICY.small_input_px * 1920 / 416
    assert tracked_person_missed(tracks, boxes, small_below_px) is expected, why
