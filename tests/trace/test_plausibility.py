"""Camera distances and walking-time checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cctrace.store.records import CameraRecord
from cctrace.trace.plausibility import CameraMap, reachable, time_gap_s, time_overlap_s

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
