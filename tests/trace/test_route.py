"""Stays from scored sightings: merged per camera, in time order."""

from __future__ import annotations

import math

import pytest

from cctrace.store.records import CameraRecord
from cctrace.trace.route import build_route, face_weighted_mask_ratio
from cctrace.trace.types import Evidence, ScoredSighting
from tests.trace.helpers import at, sighting

T = 1_709_629_200.0
CAMERAS = {"a": CameraRecord("a", "A", site="Station"), "b": CameraRecord("b", "B")}


def _scored(
    sid: str,
    camera: str,
    t0: float,
    t1: float,
    evidence: Evidence = "face",
    conf: float = 0.8,
    mask: float | None = 0.0,
    faces: int = 10,
) -> ScoredSighting:
    s = sighting(sid, camera, T + t0, T + t1, at(0, 0), mask_ratio=mask, face_count=faces)
    return ScoredSighting(s, evidence, conf, 0.5)


def test_pieces_of_one_camera_merge_within_the_gap() -> None:
    route = build_route(
        [
            _scored("a3", "a", 700, 800),  # 100 s after a2: a new stay
            _scored("a1", "a", 0, 300),
            _scored("a2", "a", 330, 600, "track", 0.7),
            _scored("b1", "b", 310, 400, "appearance", 0.4),
        ],
        CAMERAS,
        merge_gap_s=60,
    )
    assert [(s.camera_id, s.sighting_ids) for s in route] == [
        ("a", ("a1", "a2")),
        ("b", ("b1",)),
        ("a", ("a3",)),
    ]
    first = route[0]
    assert (first.t_start_s, first.t_end_s) == (T, T + 600)
    assert first.evidence == "face" and first.confidence == 0.8 and first.site == "Station"
    assert route[1].site is None and route[1].evidence == "appearance"


def test_a_contained_piece_does_not_shorten_the_stay() -> None:
    route = build_route([_scored("long", "a", 0, 600), _scored("short", "a", 10, 20)], CAMERAS)
    assert len(route) == 1 and route[0].t_end_s == T + 600


@pytest.mark.parametrize(
    ("evidences", "strongest"),
    [
        (["track", "appearance"], "track"),
        (["appearance"], "appearance"),
        (["track", "face"], "face"),
    ],
)
def test_evidence_is_the_strongest(evidences: list[Evidence], strongest: Evidence) -> None:
    parts = [_scored(f"s{i}", "a", 10 * i, 10 * i + 5, e) for i, e in enumerate(evidences)]
    (stay,) = build_route(parts, CAMERAS)
    assert stay.evidence == strongest


@pytest.mark.parametrize(
    ("ratios", "counts", "expected"),
    [
        ([1.0, 0.0], [30, 10], 0.75),
        ([1.0, None], [5, 0], 1.0),
        ([None, None], [0, 0], math.nan),
        # Faces too small to embed still vote on the mask: their ratio counts as one face.
        ([0.5, 1.0], [0, 4], 0.9),
        ([1.0, None], [0, 3], 1.0),
    ],
)
def test_masked_ratio_is_face_weighted(
    ratios: list[float | None], counts: list[int], expected: float
) -> None:
    got = face_weighted_mask_ratio(ratios, counts)
    assert math.isnan(got) if math.isnan(expected) else got == pytest.approx(expected)


def test_empty_route() -> None:
    assert build_route([], CAMERAS) == ()
