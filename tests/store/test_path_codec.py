"""A sighting's stored path (`cctrace.store.codecs`): times, floor points, boxes and the
face widths that place a person whose legs are hidden."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cctrace.core.errors import CorruptDataError
from cctrace.store.codecs import decode_path, encode_path
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store
from tests.store.conftest import T0, VIDEO_ID, make_sighting

BOXES = np.array([[10, 20, 50, 140], [12, 20, 52, 141], [14, 21, 54, 141], [16, 21, 56, 142]])
FACES = np.array([11.5, np.nan, 12.25, np.nan])


def test_paths_keep_their_boxes_and_face_widths() -> None:
    s = dataclasses.replace(
        make_sighting(1), path_box_xyxy=BOXES.astype(np.float32), path_face_px=FACES
    )
    path = decode_path(s.sighting_id, encode_path(s), None)
    np.testing.assert_array_equal(path.t_s, s.path_t_s)
    np.testing.assert_array_equal(path.floor_xy_m, s.path_floor_xy_m)
    np.testing.assert_array_equal(path.box_xyxy, BOXES)
    assert path.face_px is not None
    np.testing.assert_allclose(path.face_px, FACES, atol=0.051)  # kept to 0.1 px, NaN kept


def test_paths_without_face_widths_read_back_without_them() -> None:
    # A path written before face widths were kept has only the boxes' flag.
    with_boxes = dataclasses.replace(make_sighting(2), path_box_xyxy=BOXES.astype(np.float32))
    path = decode_path(with_boxes.sighting_id, encode_path(with_boxes), None)
    assert path.box_xyxy is not None and path.face_px is None
    faces_only = dataclasses.replace(make_sighting(3), path_face_px=FACES)
    path = decode_path(faces_only.sighting_id, encode_path(faces_only), None)
    assert path.box_xyxy is None and path.face_px is not None


def test_a_damaged_path_names_its_sighting() -> None:
    s = dataclasses.replace(make_sighting(4), path_face_px=FACES)
    raw = encode_path(s)
    for damaged in (raw[:-3], raw + b"\0\0\0\0"):
        with pytest.raises(CorruptDataError, match=s.sighting_id):
            decode_path(s.sighting_id, damaged, None)
    with pytest.raises(ValueError, match="face widths"):
        encode_path(dataclasses.replace(s, path_face_px=FACES[:2]))


def test_the_store_keeps_face_widths(store: Store, video: VideoRecord) -> None:
    s = dataclasses.replace(
        make_sighting(5, T0), path_box_xyxy=BOXES.astype(np.float32), path_face_px=FACES
    )
    store.commit_checkpoint(VIDEO_ID, [s], 4.0, 6, 4)
    (back,) = store.get_sightings([s.sighting_id])
    assert back.path_face_px is not None
    np.testing.assert_allclose(back.path_face_px, FACES, atol=0.051)
