from __future__ import annotations

import numpy as np
import pytest

from cctrace.core.types import Detections, TrackedDetections
from cctrace.tracking.faces import face_person_cost, link_faces_to_tracks

# A standing person 100 px wide, 300 px tall, track ID 7.
PERSON = [100.0, 100.0, 200.0, 400.0]


def _persons(boxes: list[list[float]], ids: list[int]) -> TrackedDetections:
    return TrackedDetections(
        Detections(np.array(boxes).reshape(-1, 4), np.full(len(boxes), 0.9)), np.array(ids)
    )


def _faces(boxes: list[list[float]]) -> Detections:
    return Detections(np.array(boxes).reshape(-1, 4), np.full(len(boxes), 0.9))


@pytest.mark.parametrize(
    ("face", "linked"),
    [
        ([135.0, 105.0, 165.0, 145.0], True),  # head, centred, at the top
        ([110.0, 105.0, 140.0, 145.0], True),  # head turned or leaning: off-centre but inside
        ([135.0, 90.0, 165.0, 130.0], True),  # the box clipped the top of the head
        ([135.0, 250.0, 165.0, 290.0], False),  # at the belly: below the upper third
        ([185.0, 105.0, 215.0, 145.0], False),  # half outside the box
        ([300.0, 105.0, 330.0, 145.0], False),  # beside the person
        ([100.0, 100.0, 200.0, 260.0], False),  # too large to be this person's face
        ([135.0, 30.0, 165.0, 70.0], False),  # above the box
    ],
)
def test_one_face_one_person(face: list[float], linked: bool) -> None:
    got = link_faces_to_tracks(_persons([PERSON], [7]), _faces([face]))
    assert got.dtype == np.int64
    assert got.tolist() == ([7] if linked else [-1])


def test_one_face_per_person_the_centred_one_wins() -> None:
    faces = [[110.0, 110.0, 135.0, 140.0], [138.0, 108.0, 162.0, 140.0]]
    assert link_faces_to_tracks(_persons([PERSON], [7]), _faces(faces)).tolist() == [-1, 7]


def test_overlapping_persons_each_get_their_own_face() -> None:
    # Person 8 stands behind person 7, shifted right; its face also lies inside 7's box.
    behind = [160.0, 90.0, 250.0, 360.0]
    faces = [[190.0, 95.0, 220.0, 130.0], [135.0, 105.0, 165.0, 145.0]]
    got = link_faces_to_tracks(_persons([PERSON, behind], [7, 8]), _faces(faces))
    assert got.tolist() == [8, 7]


@pytest.mark.parametrize(("n_persons", "n_faces"), [(0, 0), (0, 2), (2, 0)])
def test_empty_inputs(n_persons: int, n_faces: int) -> None:
    persons = _persons([PERSON] * n_persons, list(range(1, n_persons + 1)))
    got = link_faces_to_tracks(persons, _faces([[135.0, 105.0, 165.0, 145.0]] * n_faces))
    assert got.tolist() == [-1] * n_faces


def test_cost_prefers_centre_and_top() -> None:
    faces = np.array(
        [[135.0, 105.0, 165.0, 145.0], [115.0, 105.0, 145.0, 145.0], [135.0, 160.0, 165.0, 200.0]]
    )
    cost = face_person_cost(np.array([PERSON]), faces)[0]
    assert cost[0] < cost[1]
    assert cost[0] < cost[2]
