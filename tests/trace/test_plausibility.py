"""Camera distances and walking-time checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.store.records import CameraRecord
from cctrace.trace.plausibility import (
    CameraMap,
    appearance_similarity_of,
    reachable,
    self_consistent_threshold,
    time_gap_s,
    time_overlap_s,
)
from tests.trace.helpers import at, look, seen_look, sighting

CAMERAS = CameraMap(
    [
        CameraRecord("geo1", "G1", lat=37.5665, lon=126.9780),
        CameraRecord("geo2", "G2", lat=37.5665, lon=126.9790),  # ~88 m east
        CameraRecord("geo3", "G3", lat=37.5675, lon=126.9780),  # ~111 m north
        CameraRecord("s1", "S1", site="Mall", x_m=0.0, y_m=0.0),
        CameraRecord("s2", "S2", site="Mall", x_m=30.0, y_m=40.0),
        CameraRecord("t1", "T1", site="Tower", x_m=0.0, y_m=0.0),
        CameraRecord("both", "B", site="Mall", lat=37.5665, lon=126.9790, x_m=3.0, y_m=4.0),
        CameraRecord("none", "N"),
    ]
)


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ("geo1", "geo2", 88.2),
        ("geo1", "geo3", 111.2),
        ("s1", "s2", 50.0),
        ("s1", "t1", math.nan),  # two sites' plans are different frames
        ("s1", "geo1", math.nan),  # plan against geography
        ("both", "geo1", 88.2),  # geography wins when both are known
        ("both", "s1", 5.0),
        ("none", "geo1", math.nan),
        ("none", "none", 0.0),
        ("unknown-id", "s1", math.nan),
    ],
)
def test_camera_distances(a: str, b: str, metres: float) -> None:
    d = float(CAMERAS.distances_m([a], [b])[0, 0])
    assert math.isnan(d) if math.isnan(metres) else d == pytest.approx(metres, abs=0.2)


def test_within_lists_known_neighbours_only() -> None:
    assert set(CAMERAS.within("geo1", 100)) == {"both", "geo1", "geo2"}
    assert CAMERAS.within("none", 1e9) == ("none",)


@pytest.mark.parametrize(
    ("distance", "gap", "ok"),
    [(100.0, 60.0, False), (99.0, 60.0, True), (10.0, 0.0, True), (math.nan, 1e9, False)],
)
def test_reachable(distance: float, gap: float, ok: bool) -> None:
    got = reachable(np.array([distance]), np.array([gap]), 1.4, 15.0)
    assert bool(got[0]) is ok


def test_time_gap_and_overlap() -> None:
    a0, a1 = np.array([0.0, 100.0]), np.array([10.0, 110.0])
    b0, b1 = np.array([5.0, 30.0]), np.array([20.0, 40.0])
    np.testing.assert_allclose(time_gap_s(a0, a1, b0, b1), [[0, 20], [80, 60]])
    np.testing.assert_allclose(time_overlap_s(a0, a1, b0, b1), [[5, 0], [0, 0]])


def _person(camera_of: list[str], noise: float = 0.3) -> list[Sighting]:
    base = look(1)
    return [
        sighting(
            f"s{i}", cam, 60.0 * i, 60.0 * i + 30, at(0, 0), appearance=seen_look(base, i, noise)
        )
        for i, cam in enumerate(camera_of)
    ]


def test_self_consistent_threshold_is_the_cross_camera_median_less_robust_spread() -> None:
    people = _person(["a", "b", "a", "b", "c", "c"])
    looks = appearance_similarity_of(people, people)
    cams = [s.camera_id for s in people]
    cross = np.array([looks[i, j] for i in range(6) for j in range(i + 1, 6) if cams[i] != cams[j]])
    median = np.median(cross)
    mad = np.median(np.abs(cross - median))
    got = self_consistent_threshold(people, 0.5, 3.0, 10)
    assert got == pytest.approx(median - 3.0 * 1.4826 * mad)
    assert 0.9 < got < median  # the pairs themselves are about 0.98
    assert self_consistent_threshold(people, 0.99, 3.0, 10) == 0.99  # never below the floor
    assert self_consistent_threshold(people, 0.5, 0.0, 10) == pytest.approx(median)


def test_self_consistent_threshold_needs_enough_pairs_in_different_cameras() -> None:
    one_camera = _person(["a"] * 8)  # 28 pairs, all in one camera: no cross-camera evidence
    assert self_consistent_threshold(one_camera, 0.87, 3.0, 10) == 0.87
    assert self_consistent_threshold(_person(["a", "b", "a", "b"]), 0.87, 3.0, 10) == 0.87
    assert self_consistent_threshold(_person(["a", "b", "a", "b"]), 0.87, 3.0, 4) > 0.87


def test_self_consistent_threshold_shrugs_off_a_wrong_face_match() -> None:
    people = _person(["a", "b"] * 5)
    stranger = sighting("x", "c", 0.0, 30.0, at(0, 0), appearance=look(2))
    alone = self_consistent_threshold(people, 0.5, 3.0, 10)
    with_stranger = self_consistent_threshold([*people, stranger], 0.5, 3.0, 10)
    assert alone - 0.02 < with_stranger <= alone
    # A mean and standard deviation would fall below the fixed 0.87 with that one face.
    everyone = [*people, stranger]
    looks = appearance_similarity_of(everyone, everyone)
    pairs = looks[np.triu_indices(len(everyone), 1)]
    assert pairs.mean() - 3.0 * pairs.std() < 0.87
