"""Key rotation: everything re-encrypted under a new key, readers unaffected, old key gone."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from cctrace.core.errors import CctraceError, InputError
from cctrace.core.types import Sighting
from cctrace.store import crypto
from cctrace.store.crypto import key_id_of
from cctrace.store.home import InitResult
from cctrace.store.maintenance import maintenance_lock, rotate_keys
from cctrace.store.records import CaseRecord, CaseReference, ResealCounts, VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.store.bytescan import found
from tests.store.conftest import T0, embedding, make_sighting

DAY = utc_day(T0)


@pytest.fixture
def data(store: Store, video: VideoRecord, initialised: InitResult) -> list[Sighting]:
    """Seven sightings (one without a face) in the index over two segments, and a case."""
    sightings = [make_sighting(i, T0 + 5 * i) for i in range(6)]
    sightings.append(make_sighting(6, T0 + 40, face=False))
    store.commit_checkpoint(video.video_id, sightings, T0 + 60, 7, 10)
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    for part in (sightings[:3], sightings[3:6]):
        vectors = np.stack([s.face_embedding for s in part if s.face_embedding is not None])
        index.add(DAY, [s.sighting_id for s in part], vectors)
    assert initialised.admin_token is not None
    owner = store.authenticate(initialised.admin_token)
    case = CaseRecord(
        case_id="case-rotate",
        owner_id=owner.user_id,
        label="",
        consent_given_by="the patient",
        consent_date=datetime.now(UTC),
        consent_sha256="0" * 64,
        t_from_s=T0,
        t_to_s=T0 + 3600,
        site=None,
        camera_ids=None,
    )
    store.create_case(case, [CaseReference("f" * 64, 0.9, embedding(77))])
    return sightings


def _check_all_readable(store: Store, sightings: list[Sighting]) -> None:
    got = store.get_sightings([s.sighting_id for s in sightings], with_biometrics=True)
    assert len(got) == len(sightings)
    for s, ref in zip(got, sightings, strict=True):
        assert s.thumbnail_jpeg == ref.thumbnail_jpeg
        if ref.face_embedding is None:
            assert s.face_embedding is None
        else:
            assert s.face_embedding is not None
            np.testing.assert_array_equal(s.face_embedding, ref.face_embedding)
    refs = store.case_references("case-rotate")
    np.testing.assert_array_equal(refs[0].embedding, embedding(77))
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    hits = index.search(np.stack([embedding(0), embedding(4)]), [DAY], k=1)
    assert [h[0].sighting_id for h in hits] == [sightings[0].sighting_id, sightings[4].sighting_id]


def test_rotation_reencrypts_everything_and_destroys_the_old_key(
    store: Store, data: list[Sighting], initialised: InitResult
) -> None:
    home = store.home
    old_key = home.key_path.read_bytes()
    old_id = key_id_of(old_key).hex()
    reader = Store.open(home)  # opened before the rotation: it knows only the old key
    reader_index = FlatFaceIndex(home.faces_index_dir, reader.cipher)
    reader_index.search(embedding(0)[None, :], [DAY], k=1)  # caches the day
    try:
        assert store.key_ids_in_use() == {old_id: 6 * 3 + 1 + 1}

        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        report = rotate_keys(store, index, batch=2, grace_s=0)

        new_key = home.key_path.read_bytes()
        assert new_key != old_key and not home.next_key_path.exists()
        assert report.old_key_ids == [old_id] and report.new_key_id == key_id_of(new_key).hex()
        assert (report.sightings, report.case_references, report.index_days) == (7, 1, 1)
        assert not report.resumed and report.passes == 1
        assert store.key_ids_in_use() == {report.new_key_id: 20}
        assert [p.name for p in home.key_path.parent.iterdir()] == ["master.key"]
        (segment_keys,) = index.segment_key_ids(DAY).values()
        assert segment_keys == {report.new_key_id}
        assert found(home.root, {"old key": old_key}) == []
        _check_all_readable(store, data)
        # A reader that started before the rotation keeps working (it reloads the keys).
        _check_all_readable(reader, data)
        assert reader_index.search(embedding(3)[None, :], [DAY], k=1)[0][0].sighting_id == (
            data[3].sighting_id
        )
    finally:
        reader.close()


def test_an_interrupted_rotation_stays_readable_and_a_rerun_finishes_it(
    store: Store, data: list[Sighting]
) -> None:
    home = store.home
    old_id = store.cipher.key_id
    index = FlatFaceIndex(home.faces_index_dir, store.cipher)

    def crash(what: str, counts: ResealCounts) -> None:
        if counts.resealed >= 2:
            raise KeyboardInterrupt  # killed midway

    with pytest.raises(KeyboardInterrupt):
        rotate_keys(store, index, batch=2, grace_s=0, progress=crash)
    # Both keys are kept; data are under both; every reader still reads everything.
    assert home.key_path.exists() and home.next_key_path.exists()
    assert len(store.key_ids_in_use()) == 2
    with Store.open(home) as reader:
        assert reader.cipher.key_id != old_id  # the new key encrypts from now on
        _check_all_readable(reader, data)
        # A write during the rotation uses the new key.
        late = make_sighting(50, T0 + 100)
        reader.commit_checkpoint(data[0].video_id, [late], T0 + 120, 51, 11)

    report = rotate_keys(store, index, batch=2, grace_s=0)
    assert report.resumed and report.old_key_ids == [old_id]
    assert set(store.key_ids_in_use()) == {report.new_key_id}
    assert not home.next_key_path.exists()
    _check_all_readable(store, [*data, late])


def test_a_crash_after_the_old_key_was_destroyed_is_finished_by_a_rerun(
    store: Store, data: list[Sighting]
) -> None:
    home = store.home
    index = FlatFaceIndex(home.faces_index_dir, store.cipher)
    report = rotate_keys(store, index, grace_s=0)
    # Simulate the state between "old key wiped" and "next.key renamed to master.key".
    home.key_path.replace(home.next_key_path)
    with Store.open(home) as reader:  # readable with next.key alone
        _check_all_readable(reader, data)
    again = rotate_keys(store, index, grace_s=0)
    assert again.resumed and again.new_key_id == report.new_key_id
    assert again.old_key_ids == [] and again.sightings == 0
    assert home.key_path.exists() and not home.next_key_path.exists()


def test_a_writer_opened_before_the_rotation_switches_to_the_new_key(
    store: Store, data: list[Sighting], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crypto, "REFRESH_EVERY_S", 0.0)
    home = store.home
    with Store.open(home) as writer:
        rotate_keys(store, FlatFaceIndex(home.faces_index_dir, store.cipher), grace_s=0)
        late = make_sighting(60, T0 + 200)
        writer.commit_checkpoint(data[0].video_id, [late], T0 + 220, 61, 12)
    assert set(store.key_ids_in_use()) == {store.cipher.key_id}
    _check_all_readable(store, [*data, late])


def test_rotation_refuses_to_run_twice_at_once(store: Store, data: list[Sighting]) -> None:
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    with maintenance_lock(store.home), pytest.raises(InputError, match="another purge or key"):
        rotate_keys(store, index, grace_s=0)
    assert not store.home.next_key_path.exists()


def test_rotation_gives_up_while_old_key_writes_keep_coming(
    store: Store, data: list[Sighting], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cctrace.store import maintenance

    monkeypatch.setattr(maintenance, "_left_under_other_keys", lambda *a: True)
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    with pytest.raises(CctraceError, match="run `cctrace keys rotate` again"):
        rotate_keys(store, index, grace_s=0)
    assert store.home.key_path.exists() and store.home.next_key_path.exists()
