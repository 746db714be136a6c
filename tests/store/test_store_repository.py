"""The store over a real SQLite file: cameras, videos, checkpoints, sightings, users."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cctrace.core.errors import AuthError, InputError
from cctrace.store.home import InitResult
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.backends import server_files
from tests.store.conftest import T0, VIDEO_ID, make_sighting


def test_cameras(store: Store) -> None:
    cam = CameraRecord("cam-2", "Exit", site="Mall", x_m=3.5, y_m=-1.0, calibration_json="{}")
    stored = store.add_camera(cam)
    assert stored.created_at is not None
    assert dataclasses.replace(stored, created_at=None) == cam
    assert store.get_camera("cam-2") == stored
    assert store.get_camera("nope") is None
    with pytest.raises(InputError, match="cam-2"):
        store.add_camera(cam)
    with pytest.raises(InputError, match="unknown camera 'nope'"):
        store.require_camera("nope")
    store.add_camera(CameraRecord("cam-1", "Entrance"))
    assert [c.camera_id for c in store.list_cameras()] == ["cam-1", "cam-2"]


def test_begin_video_is_idempotent_and_needs_a_known_camera(
    store: Store, video: VideoRecord
) -> None:
    assert video.status == "ingesting" and video.checkpoint_t_s is None
    assert video.start_utc == datetime.fromtimestamp(T0, UTC)
    assert store.begin_video(dataclasses.replace(video, path="/copy.mp4")).path == video.path
    with pytest.raises(InputError, match="unknown camera"):
        store.begin_video(dataclasses.replace(video, video_id="cd" * 32, camera_id="ghost"))


def test_checkpoint_is_one_idempotent_transaction(store: Store, video: VideoRecord) -> None:
    batch = [make_sighting(i, T0 + i) for i in range(5)]
    inserted = store.commit_checkpoint(VIDEO_ID, batch, 12.5, 5, 300)
    assert inserted == [s.sighting_id for s in batch]
    # A resume after a crash commits the same batch again plus one more: only one is new.
    again = store.commit_checkpoint(VIDEO_ID, [*batch, make_sighting(5, T0 + 5)], 15.0, 6, 360)
    assert again == [make_sighting(5).sighting_id]
    assert store.stats().sightings == 6 == store.count_sightings(VIDEO_ID)
    assert store.count_sightings("other") == 0
    v = store.video_by_id(VIDEO_ID)
    assert v is not None
    assert (v.checkpoint_t_s, v.next_track_id, v.frames_analysed) == (15.0, 6, 360)
    store.finish_video(VIDEO_ID)
    done = store.video_by_id(VIDEO_ID)
    assert done is not None and done.status == "done" and done.finished_at is not None
    assert store.begin_video(video).status == "done"  # the same file again: nothing to do
    with pytest.raises(InputError, match="not being ingested"):
        store.commit_checkpoint(VIDEO_ID, [], 20.0, 6, 400)


def test_failed_checkpoint_leaves_nothing(store: Store, video: VideoRecord) -> None:
    store.commit_checkpoint(VIDEO_ID, [make_sighting(0)], 1.0, 1, 4)
    broken = dataclasses.replace(make_sighting(2), path_t_s=np.zeros(3))  # 3 times, 4 points
    with pytest.raises(ValueError, match="path times"):
        store.commit_checkpoint(VIDEO_ID, [make_sighting(1), broken, make_sighting(3)], 9.0, 4, 40)
    assert [s.sighting_id for s in store.sightings()] == [make_sighting(0).sighting_id]
    v = store.video_by_id(VIDEO_ID)
    assert v is not None and (v.checkpoint_t_s, v.next_track_id) == (1.0, 1)


def test_sightings_round_trip_and_filters(store: Store, video: VideoRecord) -> None:
    store.add_camera(CameraRecord("cam-3", "Side door"))
    other = dataclasses.replace(make_sighting(7, T0 + 100), camera_id="cam-3")
    batch = [make_sighting(0, T0), make_sighting(1, T0 + 50, face=False), other]
    store.commit_checkpoint(VIDEO_ID, batch, 120.0, 8, 1000)

    plain = list(store.sightings())
    assert [s.sighting_id for s in plain] == [s.sighting_id for s in batch]
    assert all(s.face_embedding is None and s.thumbnail_jpeg is None for s in plain)
    np.testing.assert_array_equal(plain[0].path_t_s, batch[0].path_t_s)
    np.testing.assert_array_equal(plain[0].path_floor_xy_m, batch[0].path_floor_xy_m)

    full = next(iter(store.sightings(with_biometrics=True)))
    ref = batch[0]
    assert ref.face_embedding is not None and full.face_embedding is not None
    np.testing.assert_array_equal(full.face_embedding, ref.face_embedding)
    assert full.appearance is not None and ref.appearance is not None
    # Appearance is stored as float16: half the bytes, similarities unchanged to 1e-3.
    np.testing.assert_allclose(full.appearance, ref.appearance, atol=1e-3)
    assert full.path_box_xyxy is None or ref.path_box_xyxy is not None
    assert full.thumbnail_jpeg == ref.thumbnail_jpeg and full.mask_ratio == 0.25

    assert [s.camera_id for s in store.sightings(camera_ids=["cam-3"])] == ["cam-3"]
    window = store.sightings(t_from_s=T0 + 2, t_to_s=T0 + 60)  # overlaps #0 (ends T0+3) and #1
    assert [s.track_id for s in window] == [0, 1]
    got = store.get_sightings([other.sighting_id, "missing", batch[0].sighting_id])
    assert [s.sighting_id for s in got] == [other.sighting_id, batch[0].sighting_id]


def test_stats(store: Store, video: VideoRecord) -> None:
    empty = store.stats()
    assert (empty.cameras, empty.videos, empty.sightings, empty.faces) == (1, 1, 0, 0)
    assert empty.first is None and empty.last is None
    batch = [make_sighting(0, T0), make_sighting(1, T0 + 3600, face=False)]
    store.commit_checkpoint(VIDEO_ID, batch, 3700.0, 2, 10)
    stats = store.stats()
    assert (stats.sightings, stats.faces) == (2, 1)
    assert stats.first == datetime.fromtimestamp(T0, UTC)
    assert stats.last == datetime.fromtimestamp(T0 + 3603, UTC)
    assert store.face_counts_by_day() == {utc_day(T0): 1}


def test_delete_unfinished_video(store: Store, video: VideoRecord) -> None:
    store.commit_checkpoint(VIDEO_ID, [make_sighting(0), make_sighting(1)], 5.0, 2, 20)
    assert store.delete_unfinished_video(VIDEO_ID) == 2
    assert store.video_by_id(VIDEO_ID) is None and store.stats().sightings == 0
    assert store.delete_unfinished_video(VIDEO_ID) == 0


def test_authentication(store: Store, initialised: InitResult) -> None:
    assert initialised.admin_token is not None
    assert store.authenticate(initialised.admin_token).role == "admin"
    assert store.authenticate(f"  {initialised.admin_token}\n").role == "admin"
    user_id = initialised.admin_token.split(".")[0]
    for bad in [f"{user_id}.wrong-secret", "nodot", "unknown.secret"]:
        with pytest.raises(AuthError, match="--token or set CCTRACE_TOKEN") as err:
            store.authenticate(bad)
        assert err.value.exit_code == 4
    for empty in [None, "", "   "]:
        with pytest.raises(AuthError, match="needs a token"):
            store.authenticate(empty)
    expired = store.create_user("old", "investigator", datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(AuthError, match="expired"):
        store.authenticate(expired.token)
    with pytest.raises(InputError, match="already exists"):
        store.create_user("old", "auditor")


def test_no_biometric_bytes_in_clear_on_disk(
    store: Store, video: VideoRecord, initialised: InitResult
) -> None:
    batch = [make_sighting(i, T0 + i) for i in range(3)]
    store.commit_checkpoint(VIDEO_ID, batch, 10.0, 3, 30)
    index = FlatFaceIndex(initialised.home.faces_index_dir, store.cipher)
    index.reconcile(store)
    assert index.count(utc_day(T0)) == 3
    files = [p for p in initialised.home.root.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".seg") for p in files)
    # The database (its file and WAL, or on PostgreSQL the server's files and WAL) and
    # the index segments.
    files += server_files(initialised.home.root, wal=True)
    blob = b"".join(p.read_bytes() for p in files)
    for s in batch:
        assert s.face_embedding is not None and s.appearance is not None
        assert s.thumbnail_jpeg is not None
        for secret in (s.face_embedding, s.appearance):
            for dtype in ("<f4", "<f2"):  # appearance is stored as float16
                raw = secret.astype(dtype).tobytes()
                assert raw[:32] not in blob and raw[-32:] not in blob
        assert s.thumbnail_jpeg not in blob
    assert b"Main entrance" in blob  # the scan does see clear data where it is allowed


def test_window_query_finds_long_sightings_that_started_before_the_window(
    store: Store, video: VideoRecord
) -> None:
    long_one = dataclasses.replace(make_sighting(1), t_start_s=T0, t_end_s=T0 + 3000.0)
    store.commit_checkpoint(VIDEO_ID, [long_one], 10.0, 2, 1)
    found = [s.sighting_id for s in store.sightings(t_from_s=T0 + 2900, t_to_s=T0 + 4000)]
    assert found == [long_one.sighting_id]
    assert list(store.sightings(t_from_s=T0 + 3001, t_to_s=T0 + 4000)) == []


def test_window_reads_scan_back_only_as_far_as_the_longest_stored_sighting(
    store: Store, video: VideoRecord
) -> None:
    """The scan bound is the longest sighting stored, raised in the inserting
    transaction: a 4 s store scans 4 s back, and a later 40-minute sighting is still
    found by both window reads from a window near its end."""
    from cctrace.store.sighting_rows import LONGEST_SIGHTING

    store.bulk_insert_sightings([make_sighting(i, T0 + 10 * i) for i in range(3)])
    assert store.get_setting(LONGEST_SIGHTING) == "3.0"
    long_one = dataclasses.replace(make_sighting(9), t_start_s=T0 + 100, t_end_s=T0 + 2500.0)
    store.commit_checkpoint(VIDEO_ID, [long_one], 10.0, 10, 1)
    assert store.get_setting(LONGEST_SIGHTING) == "2400.0"
    store.commit_checkpoint(VIDEO_ID, [make_sighting(10, T0 + 3000)], 20.0, 11, 2)
    assert store.get_setting(LONGEST_SIGHTING) == "2400.0"  # never lowered
    window = (T0 + 2400, T0 + 2450)
    assert [s.sighting_id for s in store.sightings(t_from_s=window[0], t_to_s=window[1])] == [
        long_one.sighting_id
    ]
    assert store.appearance_rows([("cam-1", *window)]).sighting_ids == [long_one.sighting_id]


def test_a_sighting_longer_than_an_hour_is_refused(store: Store, video: VideoRecord) -> None:
    too_long = dataclasses.replace(make_sighting(2), t_end_s=T0 + 3601.0)
    with pytest.raises(ValueError, match="more than"):
        store.commit_checkpoint(VIDEO_ID, [too_long], 10.0, 3, 1)
    assert list(store.sightings()) == []


def test_appearance_rows_over_many_spans_read_in_parallel(store: Store, video: VideoRecord) -> None:
    """More spans than one query takes are read in chunks by several threads: each
    sighting in some span comes back once, with its appearance, and nothing else."""
    rows = [make_sighting(i, T0 + 10 * i) for i in range(600)]
    store.bulk_insert_sightings(rows)
    # 900 spans (several chunks): each covers one sighting's 4 s, three times over.
    spans = [("cam-1", T0 + 10 * i + 1, T0 + 10 * i + 2) for i in range(300)] * 3
    spans += [("cam-2", T0, T0 + 10_000)]  # another camera: nothing
    got = store.appearance_rows(spans)
    assert sorted(got.sighting_ids) == sorted(s.sighting_id for s in rows[:300])
    assert set(got.camera_ids) == {"cam-1"}
    by_id = {s.sighting_id: s for s in rows}
    for i, sid in enumerate(got.sighting_ids):
        expected = by_id[sid]
        assert (got.t_start_s[i], got.t_end_s[i]) == (expected.t_start_s, expected.t_end_s)
        assert expected.appearance is not None
        np.testing.assert_allclose(got.appearance[i], expected.appearance, atol=2e-3)
