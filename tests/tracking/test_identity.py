"""IdentityWatch: where the person in a track's box changed, by clothing colour or face."""

from __future__ import annotations

import numpy as np
import pytest

from cctrace.core.types import FloatArray
from cctrace.tracking.identity import IdentityJump, IdentityWatch

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
