"""Retention purge: old biometric records go without a trace, newer ones stay readable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.privacy.retention import (
    DEFAULT_RETENTION_DAYS,
    purge,
    retention_days,
    set_retention_days,
)
from cctrace.store.home import InitResult
from cctrace.store.records import CameraRecord, User, VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.backends import dump_rows
from tests.store.bytescan import blobs, found, tail
from tests.store.conftest import T0, VIDEO_ID, embedding, make_sighting

NEW_VIDEO = "cd" * 32
NOW = datetime.now(UTC)
RECENT = (NOW - timedelta(days=1)).timestamp()


@pytest.fixture
def admin(store: Store, initialised: InitResult) -> User:
    assert initialised.admin_token is not None
    return store.authenticate(initialised.admin_token)


@pytest.fixture
def index(store: Store) -> FlatFaceIndex:
    return FlatFaceIndex(store.home.faces_index_dir, store.cipher)


def _add(store: Store, index: FlatFaceIndex, video_id: str, sightings: list[Sighting]) -> None:
    store.commit_checkpoint(video_id, sightings, sightings[-1].t_end_s, 999, 10)
    by_day: dict[str, list[Sighting]] = {}
    for s in sightings:
        if s.face_embedding is not None:
            by_day.setdefault(utc_day(s.t_start_s), []).append(s)
    for day, group in by_day.items():
        vectors = np.stack([s.face_embedding for s in group if s.face_embedding is not None])
        index.add(day, [s.sighting_id for s in group], vectors)


def _second_video(store: Store) -> None:
    store.begin_video(
        VideoRecord(
            video_id=NEW_VIDEO,
            camera_id="cam-1",
            path="/footage/recent.mp4",
            start_utc=datetime.fromtimestamp(RECENT, UTC),
            duration_s=600.0,
            fps=25.0,
            width=1920,
            height=1080,
        )
    )


def _populate(store: Store, index: FlatFaceIndex) -> tuple[list[Sighting], list[Sighting]]:
    old = [make_sighting(100 + i, T0 + 10 * i) for i in range(3)]
    old.append(make_sighting(110, T0 + 50, face=False))
    _add(store, index, VIDEO_ID, old)
    _second_video(store)
    new = [make_sighting(200 + i, RECENT + 10 * i, video_id=NEW_VIDEO) for i in range(3)]
    _add(store, index, NEW_VIDEO, new)
    return old, new


def _needles(home_db: Path, index: FlatFaceIndex, old: list[Sighting]) -> dict[str, bytes]:
    """Ciphertext and plaintext bytes of the old sightings, and of their index day."""
    ids = ", ".join(f"'{s.sighting_id}'" for s in old)
    needles: dict[str, bytes] = {}
    for col in ("face_embedding_enc", "appearance_enc", "thumbnail_enc"):
        for sid, blob in blobs(home_db, f"SELECT id, {col} FROM sightings WHERE id IN ({ids})"):
            needles[f"{col} of {sid}"] = tail(blob)
    for s in old:
        if s.face_embedding is not None:
            needles[f"face of {s.sighting_id}"] = s.face_embedding.astype("<f4").tobytes()[:32]
        if s.thumbnail_jpeg is not None:
            needles[f"thumbnail of {s.sighting_id}"] = s.thumbnail_jpeg
        assert s.appearance is not None
        for dtype in ("<f4", "<f2"):
            needles[f"appearance {dtype} of {s.sighting_id}"] = s.appearance.astype(
                dtype
            ).tobytes()[:32]
    day = utc_day(T0)
    for seg in (index.root / day).iterdir():
        needles[f"index segment {seg.name}"] = seg.read_bytes()[-48:-16]
    return needles


def test_purge_leaves_no_biometric_bytes_and_keeps_newer_records(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    old, new = _populate(store, index)
    home = store.home
    needles = _needles(home.db_path, index, old)
    ciphertexts = {k: v for k, v in needles.items() if k.endswith(("_enc", ".seg"))}
    # The scan sees the ciphertext before the purge (else it would prove nothing).
    assert {h.split(" in ")[0] for h in found(home.root, ciphertexts)} == set(ciphertexts)

    report = purge(store, index, admin, now=NOW)

    assert report.sightings == len(old) and not report.dry_run
    assert report.older_than_days == DEFAULT_RETENTION_DAYS
    assert report.days_dropped == [utc_day(T0)] and report.days_rebuilt == []
    assert report.bytes_freed > 0
    assert found(home.root, needles) == []
    assert not (index.root / utc_day(T0)).exists()
    assert not any(p.name.startswith(".drop-") for p in index.root.iterdir())
    # (The write-ahead log was truncated; it holds only the purge's own audit entry now.)
    wal = home.db_path.with_name("cctrace.db-wal")
    assert not wal.exists() or wal.stat().st_size < 5 * 4096 + 32
    # Newer records survive, decrypt, and are still found by face.
    kept = store.get_sightings([s.sighting_id for s in new], with_biometrics=True)
    assert [s.sighting_id for s in kept] == [s.sighting_id for s in new]
    for s, ref in zip(kept, new, strict=True):
        assert s.face_embedding is not None and ref.face_embedding is not None
        np.testing.assert_array_equal(s.face_embedding, ref.face_embedding)
        assert s.thumbnail_jpeg == ref.thumbnail_jpeg
    hits = index.search(embedding(201)[None, :], [utc_day(RECENT)], k=1)
    assert hits[0][0].sighting_id == new[1].sighting_id
    assert store.get_sightings([s.sighting_id for s in old]) == []
    # The video row stays, so the same file is not ingested (and its faces stored) again.
    assert store.video_by_id(VIDEO_ID) is not None
    entry = [e for e in store.audit_entries() if e.action == "purge"][-1]
    assert entry.outcome.startswith("purged 4 sightings, 1 index days")
    assert entry.actor == "admin" and "older than 30 days" in entry.target


def test_dry_run_changes_nothing(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    old, _ = _populate(store, index)
    before_rows = _dump(store.home.db_path)
    before_index = {p: p.read_bytes() for p in index.root.rglob("*") if p.is_file()}

    report = purge(store, index, admin, dry_run=True, now=NOW)

    assert report.dry_run and report.sightings == len(old)
    assert report.days_dropped == [utc_day(T0)]
    assert report.bytes_freed > sum(len(b) for b in before_index.values()) // 2
    assert _dump(store.home.db_path) == before_rows
    assert {p: p.read_bytes() for p in index.root.rglob("*") if p.is_file()} == before_index
    assert store.count_sightings() == 7
    entry = store.audit_entries()[-1]
    assert entry.action == "purge"
    assert entry.outcome.startswith("dry run: would purge 4 sightings")


def test_zero_days_purges_everything_even_future_footage(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    _populate(store, index)
    future = make_sighting(300, (NOW + timedelta(days=3)).timestamp(), video_id=NEW_VIDEO)
    _add(store, index, NEW_VIDEO, [future])
    report = purge(store, index, admin, older_than_days=0, now=NOW)
    assert report.everything and report.sightings == 8
    assert sorted(report.days_dropped) == sorted({utc_day(T0), utc_day(RECENT), future_day(future)})
    assert store.count_sightings() == 0 and index.days() == []


def future_day(s: Sighting) -> str:
    return utc_day(s.t_start_s)


def test_cutoff_inside_a_day_rebuilds_that_day(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    morning = [make_sighting(400 + i, T0 + 600 * i) for i in range(4)]  # 09:00 .. 09:30
    _add(store, index, VIDEO_ID, morning)
    old_segments = {p.name for p in (index.root / utc_day(T0)).iterdir()}
    now = datetime.fromtimestamp(T0 + 900, UTC) + timedelta(days=2)  # cutoff 09:15
    report = purge(store, index, admin, older_than_days=2, now=now)
    assert report.sightings == 2 and report.days_rebuilt == [utc_day(T0)]
    assert report.days_dropped == []
    assert index.count(utc_day(T0)) == 2
    assert not old_segments & {p.name for p in (index.root / utc_day(T0)).iterdir()}
    hits = index.search(np.stack([embedding(400), embedding(403)]), [utc_day(T0)], k=1)
    assert hits[0][0].sighting_id != morning[0].sighting_id  # the purged face is gone
    assert hits[1][0].sighting_id == morning[3].sighting_id


def test_rerun_finishes_a_purge_that_crashed_after_its_commit(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    _populate(store, index)
    # The crash: the database transaction committed, the index was never touched, and
    # an earlier drop of another day stopped after its rename.
    store.purge_sightings((NOW - timedelta(days=30)).timestamp(), False, "x")
    index.add("2024-01-01", ["ghost"], embedding(9)[None, :])
    (index.root / "2024-01-01").rename(index.root / ".drop-2024-01-01-dead")
    leftover = index.root / ".drop-2024-01-01-dead"
    secret = next(leftover.iterdir()).read_bytes()[-32:]
    assert index.days() == sorted({utc_day(T0), utc_day(RECENT)})

    report = purge(store, index, admin, now=NOW)

    assert report.sightings == 0  # the rows were already gone
    assert report.days_dropped == [utc_day(T0)]
    assert not leftover.exists()
    assert found(store.home.root, {"leftover": secret}) == []
    assert index.days() == [utc_day(RECENT)]


def test_retention_setting(store: Store, index: FlatFaceIndex, admin: User) -> None:
    assert retention_days(store) == (DEFAULT_RETENTION_DAYS, True)
    set_retention_days(store, admin, 7)
    assert retention_days(store) == (7, False)
    entry = store.audit_entries()[-1]
    assert (entry.action, entry.target) == ("retention_set", "30 days -> 7 days")
    with pytest.raises(InputError, match="from 1 to 3650"):
        set_retention_days(store, admin, 0)
    with pytest.raises(InputError, match="--older-than"):
        purge(store, index, admin, older_than_days=-1)
    # The setting is what purge uses without --older-than.
    store.add_camera(CameraRecord("cam-1", "Door"))
    _second_video(store)
    week_old = make_sighting(500, (NOW - timedelta(days=8)).timestamp(), video_id=NEW_VIDEO)
    _add(store, index, NEW_VIDEO, [week_old])
    assert purge(store, index, admin, now=NOW).sightings == 1


def test_purges_do_not_run_concurrently(
    store: Store, index: FlatFaceIndex, admin: User, video: VideoRecord
) -> None:
    from cctrace.store.maintenance import maintenance_lock

    with maintenance_lock(store.home), pytest.raises(InputError, match="another purge"):
        purge(store, index, admin, now=NOW)
    assert store.audit_entries()[-1].outcome.startswith("failed: another purge")
    purge(store, index, admin, now=NOW)  # the lock is released


def _dump(db: Path) -> list[str]:
    return dump_rows(db.parent)


def test_overwrite_and_unlink_zeroes_every_byte_before_removing(tmp_path: Path) -> None:
    from cctrace.store.crypto import overwrite_and_unlink

    for size in (0, 5, (1 << 20) + 3, (5 << 19) + 1):  # empty, small, over the 1 MiB chunk
        path = tmp_path / f"segment-{size}.seg"
        path.write_bytes(np.random.default_rng(size).bytes(size))
        witness = tmp_path / f"witness-{size}"
        witness.hardlink_to(path)  # sees the same blocks after the unlink
        assert overwrite_and_unlink(path) == size
        assert not path.exists()
        assert witness.read_bytes() == bytes(size)
    assert overwrite_and_unlink(tmp_path / "absent") == 0
