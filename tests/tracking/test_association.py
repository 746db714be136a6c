from __future__ import annotations

import numpy as np
import pytest

from cctrace.tracking.association import (
    associate,
    center_distance_cost,
    iou_cost,
    linear_assignment,
)

INF = np.inf


@pytest.mark.parametrize(
    ("cost", "threshold", "matches", "unmatched_a", "unmatched_b"),
    [
        ([[0.1, 0.9], [0.8, 0.2]], 0.5, [[0, 0], [1, 1]], [], []),
        ([[0.9, 0.1], [0.2, 0.8]], 0.5, [[0, 1], [1, 0]], [], []),
        # Everything above the threshold: nothing matches.
        ([[0.6, 0.7]], 0.5, [], [0], [0, 1]),
        # Rectangular: more columns than rows, the best column wins.
        ([[0.3, 0.1, 0.4]], 0.5, [[0, 1]], [], [0, 2]),
        ([[0.3], [0.1], [0.4]], 0.5, [[1, 0]], [0, 2], []),
        # Forbidden pairs (+inf) are never matched.
        ([[INF, 0.2], [INF, INF]], 0.5, [[0, 1]], [1], [0]),
        # A cheap pair over the threshold must not cost a valid pair its row: the plain
        # Hungarian optimum here is (0,1)+(1,0)=0.6, which would leave one valid match.
        ([[0.4, 0.0], [0.6, 0.4]], 0.5, [[0, 0], [1, 1]], [], []),
        # Cost equal to the threshold is kept.
        ([[0.5]], 0.5, [[0, 0]], [], []),
    ],
)
def test_linear_assignment(
    cost: list[list[float]],
    threshold: float,
    matches: list[list[int]],
    unmatched_a: list[int],
    unmatched_b: list[int],
) -> None:
    a = linear_assignment(np.array(cost), threshold)
    got = sorted(map(tuple, a.matches.tolist()))
    assert got == sorted(map(tuple, matches))
    assert a.unmatched_a.tolist() == unmatched_a
    assert a.unmatched_b.tolist() == unmatched_b


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (2, 0)])
def test_linear_assignment_empty(shape: tuple[int, int]) -> None:
    a = linear_assignment(np.zeros(shape), 0.5)
    assert a.matches.shape == (0, 2)
    assert a.unmatched_a.tolist() == list(range(shape[0]))
    assert a.unmatched_b.tolist() == list(range(shape[1]))


def test_iou_cost_is_one_minus_iou() -> None:
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0]])
    np.testing.assert_allclose(iou_cost(a, b), [[0.0, 1 - 50 / 150, 1.0]], atol=1e-6)


@pytest.mark.parametrize(
    ("det", "expected"),
    [
        ([0.0, 0.0, 40.0, 100.0], 0.0),
        ([50.0, 0.0, 90.0, 100.0], 0.5),  # 50 px right of a 100 px tall track
        ([0.0, 0.0, 40.0, 160.0], INF),  # height ratio 1.6 > 1.5: not the same person
        ([0.0, 0.0, 30.0, 70.0], np.hypot(5, 15) / 100),  # ratio 1.43 allowed
    ],
)
def test_center_distance_cost(det: list[float], expected: float) -> None:
    cost = center_distance_cost(np.array([[0.0, 0.0, 40.0, 100.0]]), np.array([det]))
    assert cost[0, 0] == pytest.approx(expected)


def _box(x: float, y: float = 0.0, w: float = 40.0, h: float = 100.0) -> list[float]:
    return [x, y, x + w, y + h]


def test_high_score_detections_are_matched_first() -> None:
    tracks = np.array([_box(0), _box(200)])
    # A weak and a strong detection both on track 0: the strong one takes it.
    dets = np.array([_box(2), _box(1), _box(201)])
    res = associate(tracks, [0.25, 0.25], dets, [0.3, 0.9, 0.8])
    assert sorted(map(tuple, res.matches.tolist())) == [(0, 1), (1, 2)]
    assert res.stage.tolist() == [1, 1]
    assert res.unmatched_high_dets.tolist() == []


def test_low_score_detections_go_to_leftover_recent_tracks_only() -> None:
    tracks = np.array([_box(0), _box(200), _box(400)])
    dets = np.array([_box(3), _box(203), _box(403), _box(600)])
    # Track 2 was last matched 3 s ago: too old for a weak detection.
    res = associate(tracks, [0.25, 0.25, 3.0], dets, [0.9, 0.3, 0.3, 0.3], low_max_age_s=1.5)
    assert sorted(map(tuple, res.matches.tolist())) == [(0, 0), (1, 1)]
    assert sorted(res.stage.tolist()) == [1, 2]
    assert res.unmatched_tracks.tolist() == [2]
    # Low-score leftovers never start tracks.
    assert res.unmatched_high_dets.tolist() == []


def test_low_score_stage_needs_the_stricter_overlap() -> None:
    tracks = np.array([_box(0)])
    dets = np.array([_box(20)])  # IoU 20*100 / (60*100) = 0.33: enough high, not low
    assert len(associate(tracks, [0.25], dets, [0.3], center_gate_h=None).matches) == 0
    assert len(associate(tracks, [0.25], dets, [0.9], center_gate_h=None).matches) == 1


def test_detections_below_low_score_are_ignored() -> None:
    res = associate(np.array([_box(0)]), [0.25], np.array([_box(0)]), [0.05])
    assert len(res.matches) == 0
    assert res.unmatched_tracks.tolist() == [0]


@pytest.mark.parametrize(("gate", "matched"), [(None, False), (0.3, False), (0.5, True)])
def test_center_gate_catches_a_far_jump_of_the_same_size(gate: float | None, matched: bool) -> None:
    # 45 px to the right of a 100 px tall track: no overlap left, centre 0.45 heights off.
    tracks = np.array([_box(0)])
    dets = np.array([_box(45, w=40.0)])
    res = associate(tracks, [0.25], dets, [0.9], center_gate_h=gate)
    assert (len(res.matches) == 1) == matched
    if matched:
        assert res.stage.tolist() == [3]
    else:
        assert res.unmatched_high_dets.tolist() == [0]


@pytest.mark.parametrize(("confident_x", "stage"), [(45.0, 3), (90.0, 2)])
def test_a_confident_box_in_the_centre_gate_goes_before_a_weak_one(
    confident_x: float, stage: int
) -> None:
    # A weak box at the track's old place (IoU 0.8, enough for the low-score stage) and
    # a confident box moved off it with no overlap left: 0.45 heights, inside the 0.5
    # gate, takes the track; 0.9 heights, outside, leaves the track to the weak box and
    # is a candidate for a new track.
    tracks = np.array([_box(0)])
    dets = np.array([_box(confident_x), _box(0, y=20.0, h=80.0)])
    res = associate(tracks, [0.5], dets, [0.75, 0.15], center_gate_h=0.5)
    assert res.stage.tolist() == [stage]
    assert res.matches.tolist() == [[0, 0 if stage == 3 else 1]]
    assert res.unmatched_high_dets.tolist() == ([] if stage == 3 else [0])


def test_associate_with_no_tracks_or_no_detections() -> None:
    res = associate(np.zeros((0, 4)), [], np.array([_box(0)]), [0.9])
    assert res.unmatched_high_dets.tolist() == [0]
    res = associate(np.array([_box(0)]), [0.25], np.zeros((0, 4)), [])
    assert res.unmatched_tracks.tolist() == [0]
    assert res.matches.shape == (0, 2)


def test_associate_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="track ages"):
        associate(np.array([_box(0)]), [], np.zeros((0, 4)), [])
    with pytest.raises(ValueError, match="scores"):
        associate(np.zeros((0, 4)), [], np.array([_box(0)]), [])
