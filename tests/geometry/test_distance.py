"""Floor distances: pairwise, along interpolated paths, over the overlap of two paths."""

from __future__ import annotations

import numpy as np
import pytest

from cctrace.geometry.distance import (
    clean_path,
    interpolate_path,
    overlap_distance_series,
    pairwise_floor_distance_m,
)


def test_pairwise_distance_values_and_shape() -> None:
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    b = np.array([[3.0, 4.0], [1.0, 1.0], [0.0, -2.0]])
    d = pairwise_floor_distance_m(a, b)
    assert d.shape == (2, 3)
    np.testing.assert_allclose(d, [[5.0, np.sqrt(2), 2.0], [np.sqrt(13), 0.0, np.sqrt(10)]])
    np.testing.assert_allclose(pairwise_floor_distance_m(b, a), d.T)


@pytest.mark.parametrize(("n", "m"), [(0, 3), (2, 0), (0, 0)])
def test_pairwise_distance_of_empty_sets(n: int, m: int) -> None:
    assert pairwise_floor_distance_m(np.zeros((n, 2)), np.zeros((m, 2))).shape == (n, m)


def test_unknown_positions_give_unknown_distances() -> None:
    d = pairwise_floor_distance_m([[np.nan, 0.0]], [[0.0, 0.0], [1.0, 1.0]])
    assert np.isnan(d).all()


WALK_T = np.array([0.0, 1.0, 2.0, 4.0])
WALK_XY = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])


@pytest.mark.parametrize(
    ("at_t", "expected"),
    [
        (0.0, [0.0, 0.0]),
        (0.5, [0.5, 0.0]),
        (2.0, [2.0, 0.0]),
        (3.0, [2.0, 1.0]),
        (4.0, [2.0, 2.0]),
        (-0.1, [np.nan, np.nan]),  # before the path: not seen, not "at the start"
        (4.1, [np.nan, np.nan]),
    ],
)
def test_interpolate_path(at_t: float, expected: list[float]) -> None:
    got = interpolate_path(WALK_T, WALK_XY, [at_t])
    np.testing.assert_allclose(got, [expected])


def test_unsorted_times_are_sorted_not_refused() -> None:
    order = np.array([2, 0, 3, 1])
    at = np.linspace(-1, 5, 25)
    np.testing.assert_allclose(
        interpolate_path(WALK_T[order], WALK_XY[order], at),
        interpolate_path(WALK_T, WALK_XY, at),
    )


def test_duplicate_times_are_averaged_and_non_finite_samples_dropped() -> None:
    t, xy = clean_path(
        [0.0, 1.0, 1.0, 2.0, np.nan, 3.0],
        np.array([[0, 0], [1, 0], [1, 2], [2, 0], [9, 9], [np.nan, 1]]),
    )
    np.testing.assert_allclose(t, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(xy, [[0, 0], [1, 1], [2, 0]])


@pytest.mark.parametrize(
    ("at_t", "expected"),
    [(5.0, [1.0, 2.0]), (4.999, [np.nan, np.nan]), (5.001, [np.nan, np.nan])],
)
def test_single_sample_path_is_known_only_at_its_time(at_t: float, expected: list[float]) -> None:
    got = interpolate_path([5.0], [[1.0, 2.0]], [at_t])
    np.testing.assert_allclose(got, [expected])


def test_empty_path_is_unknown_everywhere() -> None:
    got = interpolate_path(np.zeros(0), np.zeros((0, 2)), [0.0, 1.0])
    assert got.shape == (2, 2)
    assert np.isnan(got).all()


@pytest.mark.parametrize(
    ("at_t", "known"),
    [(0.5, True), (1.0, True), (2.0, True), (3.0, False), (4.0, True), (2.5, False)],
)
def test_long_gaps_are_not_bridged(at_t: float, known: bool) -> None:
    got = interpolate_path(WALK_T, WALK_XY, [at_t], max_gap_s=1.5)
    assert bool(np.isfinite(got).all()) == known


def test_mismatched_lengths_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="t_s has 2 samples but xy has 3"):
        interpolate_path([0.0, 1.0], np.zeros((3, 2)), [0.5])


def test_overlap_series_over_shared_span() -> None:
    # A stands still at the origin from 0 to 10 s; B walks past at 1.5 m, seen 4 to 14 s.
    t_b = np.arange(4.0, 14.01, 0.4)  # another frame rate than the grid
    xy_b = np.column_stack([t_b - 9.0, np.full(len(t_b), 1.5)])
    t, d = overlap_distance_series([0.0, 10.0], [[0.0, 0.0], [0.0, 0.0]], t_b, xy_b)
    np.testing.assert_allclose(t, np.arange(4.0, 10.01, 0.25))
    np.testing.assert_allclose(d, np.hypot(t - 9.0, 1.5), atol=1e-9)
    assert d.min() == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("t_a", "t_b", "expected_t"),
    [
        ([0.0, 1.0], [2.0, 3.0], []),  # no overlap
        ([2.0, 3.0], [0.0, 1.0], []),
        ([0.0, 1.0], [1.0, 2.0], [1.0]),  # spans touch: one instant
        ([1.0], [1.0], [1.0]),  # two single-sample paths at the same time
        ([1.0], [1.5], []),
        ([0.0, 1.0], [], []),  # an empty path
        ([0.0, 0.3], [0.1, 0.3], [0.1, 0.2, 0.3]),  # 0.1 + 2 * 0.1 rounds: end kept
        ([0.0, 1.0], [0.0, 0.6], [0.0, 0.25, 0.5]),  # end off the grid: not added
    ],
)
def test_overlap_series_edge_cases(
    t_a: list[float], t_b: list[float], expected_t: list[float]
) -> None:
    xy_a = np.zeros((len(t_a), 2))
    xy_b = np.ones((len(t_b), 2))
    step = 0.1 if t_a == [0.0, 0.3] else 0.25
    t, d = overlap_distance_series(t_a, xy_a, t_b, xy_b, step_s=step)
    np.testing.assert_allclose(t, expected_t)
    assert d.shape == t.shape
    np.testing.assert_allclose(d, np.full(len(t), np.sqrt(2)))


def test_overlap_series_marks_gaps_unknown() -> None:
    t, d = overlap_distance_series(
        [0.0, 1.0, 5.0, 6.0],
        np.zeros((4, 2)),
        np.arange(7.0),
        np.tile([1.0, 0.0], (7, 1)),
        step_s=1.0,
        max_gap_s=2.0,
    )
    np.testing.assert_allclose(t, [0, 1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(d, [1, 1, np.nan, np.nan, np.nan, 1, 1])


@pytest.mark.parametrize("step_s", [0.0, -0.25])
def test_non_positive_step_is_refused(step_s: float) -> None:
    with pytest.raises(ValueError, match="step_s must be positive"):
        overlap_distance_series([0.0], [[0, 0]], [0.0], [[0, 0]], step_s=step_s)
