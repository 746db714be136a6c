"""The day-partitioned, encrypted face index: search, drop, reconcile, atomic writes."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.store.crypto import Cipher
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.store.conftest import T0, VIDEO_ID, embedding, make_sighting

DAY1, DAY2 = "2024-03-05", "2024-03-06"


def vectors(n: int, seed: int = 0) -> np.ndarray:  # type: ignore[type-arg]
    return np.stack([embedding(seed * 1000 + i) for i in range(n)])


@pytest.fixture
def index(tmp_path: Path) -> FlatFaceIndex:
    return FlatFaceIndex(tmp_path / "faces", Cipher([secrets.token_bytes(32)]))


def test_add_and_search_across_days(index: FlatFaceIndex) -> None:
    a, b = vectors(50, seed=1), vectors(30, seed=2)
    index.add(DAY1, [f"a{i}" for i in range(50)], a)
    index.add(
        DAY2, [f"b{i}" for i in range(30)], b * np.float32(3.0)
    )  # scale does not matter: cosine
    assert index.days() == [DAY1, DAY2]
    assert (index.count(DAY1), index.count(DAY2)) == (50, 30)

    queries = np.stack([a[7], b[3]])
    hits = index.search(queries, [DAY1, DAY2], k=5)
    assert [h[0].sighting_id for h in hits] == ["a7", "b3"]
    assert hits[0][0].similarity == pytest.approx(1.0, abs=1e-5)
    assert all(len(h) == 5 for h in hits)
    assert all(h[i].similarity >= h[i + 1].similarity for h in hits for i in range(len(h) - 1))
    # Restricting to a day restricts the answer; unknown days add nothing.
    only_day2 = index.search(a[7:8], [DAY2, "2024-01-01"], k=3)[0]
    assert all(m.sighting_id.startswith("b") for m in only_day2)
    strict = index.search(queries, [DAY1, DAY2], k=5, min_similarity=0.9)
    assert [[m.sighting_id for m in h] for h in strict] == [["a7"], ["b3"]]


def test_search_matches_brute_force(index: FlatFaceIndex) -> None:
    data = vectors(400, seed=3)
    index.add(DAY1, [str(i) for i in range(200)], data[:200])
    index.add(DAY1, [str(i) for i in range(200, 400)], data[200:])  # two segments
    q = vectors(4, seed=9)
    expected = np.argsort(-(q @ data.T), axis=1)[:, :10]
    got = index.search(q, [DAY1], k=10)
    assert [[int(m.sighting_id) for m in h] for h in got] == expected.tolist()


def test_bad_input_is_refused(index: FlatFaceIndex) -> None:
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        index.add("05/03/2024", ["x"], vectors(1))
    with pytest.raises(InputError, match=r"\(N, 128\)"):
        index.add(DAY1, ["x"], np.zeros((1, 64), np.float32))
    with pytest.raises(ValueError, match="2 sighting ids"):
        index.add(DAY1, ["x", "y"], vectors(1))


def test_drop_day_forgets_without_touching_other_days(index: FlatFaceIndex) -> None:
    index.add(DAY1, ["a"], vectors(1, 1))
    index.add(DAY2, ["b"], vectors(1, 2))
    index.search(vectors(1, 1), [DAY1], k=1)  # cache it, to check the cache forgets too
    index.drop_day(DAY1)
    assert index.days() == [DAY2]
    assert not (index.root / DAY1).exists()
    assert list(index.root.iterdir()) == [index.root / DAY2]
    assert index.search(vectors(1, 1), [DAY1], k=1) == [[]]
    assert index.search(vectors(1, 2), [DAY2], k=1)[0][0].sighting_id == "b"
    index.drop_day(DAY1)  # twice is fine


def test_segments_hold_no_embedding_bytes_in_clear(index: FlatFaceIndex) -> None:
    data = vectors(20, seed=4)
    # Ids long enough that random ciphertext cannot hold one by chance (b"s1" could).
    index.add(DAY1, [f"sighting-{i:05d}" for i in range(20)], data)
    stored = (data / np.linalg.norm(data, axis=1, keepdims=True)).astype("<f4")
    disk = b"".join(p.read_bytes() for p in index.root.rglob("*") if p.is_file())
    for row in (*stored, *data.astype("<f4")):
        assert row.tobytes()[:16] not in disk
    assert b"sighting-0" not in disk  # sighting ids are inside the sealed payload too


def test_wrong_key_and_tampering_are_detected(index: FlatFaceIndex, tmp_path: Path) -> None:
    index.add(DAY1, ["a", "b"], vectors(2))
    seg = next((index.root / DAY1).iterdir())
    stranger = FlatFaceIndex(index.root, Cipher([secrets.token_bytes(32)]))
    with pytest.raises(CorruptDataError, match="reconcile"):
        stranger.search(vectors(1), [DAY1], k=1)
    data = seg.read_bytes()
    seg.write_bytes(data.replace(b'"count": 2', b'"count": 1'))  # edit the clear header
    fresh = FlatFaceIndex(index.root, index._cipher)
    with pytest.raises(CorruptDataError):
        fresh.search(vectors(1), [DAY1], k=1)


def test_failed_write_leaves_no_partial_file(
    index: FlatFaceIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.add(DAY1, ["kept"], vectors(1))
    before = sorted(p.name for p in (index.root / DAY1).iterdir())

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # every fsync of the write fails
    with pytest.raises(OSError, match="No space"):
        index.add(DAY1, ["lost"], vectors(1, 5))
    monkeypatch.undo()
    assert sorted(p.name for p in (index.root / DAY1).iterdir()) == before  # no .tmp either
    assert index.count(DAY1) == 1
    assert index.search(vectors(1), [DAY1], k=5)[0][0].sighting_id == "kept"


def test_compact_merges_segments_and_drops_duplicates(index: FlatFaceIndex) -> None:
    data = vectors(6)
    index.add(DAY1, ["a", "b", "c"], data[:3])
    index.add(DAY1, ["c", "d"], data[2:4])  # "c" again, as after a crash and resume
    assert index.count(DAY1) == 5
    assert len(index.search(data[:1], [DAY1], k=10)[0]) == 4
    index.compact(DAY1)
    assert len(list((index.root / DAY1).iterdir())) == 1
    assert index.count(DAY1) == 4


def test_a_batch_repeating_an_id_keeps_its_first_vector(index: FlatFaceIndex) -> None:
    data = vectors(3, seed=6)
    index.add(DAY1, ["a", "b", "a"], data)  # "a" twice in one batch
    assert index.count(DAY1) == 2
    hits = index.search(data, [DAY1], k=5)
    assert [m.sighting_id for m in hits[0]] == ["a", "b"]  # one "a", with the first vector
    assert hits[0][0].similarity == pytest.approx(1.0, abs=1e-5)
    assert hits[2][0].similarity < 0.999  # the repeat's own vector was not stored


def test_one_segment_ids_are_read_on_demand(index: FlatFaceIndex) -> None:
    ids = [f"sighting-{i:04d}-{'x' * (i % 7)}" for i in range(300)]  # ids of varied length
    data = vectors(300, seed=8)
    index.add(DAY1, ids, data)
    hits = index.search(data, [DAY1], k=1)
    assert [h[0].sighting_id for h in hits] == ids
    loaded = index._loaded(DAY1)
    assert (len(loaded.ids), loaded.ids[-1], loaded.ids[0]) == (300, ids[-1], ids[0])
    assert loaded.ids[10:13] == ids[10:13]
    with pytest.raises(IndexError):
        loaded.ids[300]


def test_a_truncated_segment_is_refused_by_name(index: FlatFaceIndex) -> None:
    index.add(DAY1, ["a", "b"], vectors(2))
    seg = next((index.root / DAY1).iterdir())
    seg.write_bytes(seg.read_bytes()[:-40])
    with pytest.raises(CorruptDataError, match=seg.name):
        FlatFaceIndex(index.root, index._cipher).search(vectors(1), [DAY1], k=1)
    seg.write_bytes(b"CCT")
    with pytest.raises(CorruptDataError, match="not a cctrace segment"):
        FlatFaceIndex(index.root, index._cipher).search(vectors(1), [DAY1], k=1)


def test_reconcile_repairs_from_the_database(store: Store, video: VideoRecord) -> None:
    day = utc_day(T0)
    batch = [make_sighting(i, T0 + i) for i in range(6)]
    store.commit_checkpoint(VIDEO_ID, batch, 10.0, 6, 60)
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    # A crash after the DB commit: the index got only the first half of the batch.
    first = batch[:3]
    index.add(day, [s.sighting_id for s in first], np.stack([s.face_embedding for s in first]))  # type: ignore[misc]
    index.add("2023-12-31", ["purged"], vectors(1))  # a day the database no longer has

    report = index.reconcile(store)
    assert report.rebuilt == [day] and report.dropped == ["2023-12-31"]
    assert index.days() == [day] and index.count(day) == 6
    assert len(list((index.root / day).iterdir())) == 1  # the half segment was replaced
    q = batch[5].face_embedding
    assert q is not None
    assert index.search(q, [day], k=1)[0][0].sighting_id == batch[5].sighting_id
    assert index.reconcile(store).rebuilt == []  # nothing left to repair

    store.delete_unfinished_video(VIDEO_ID)
    assert index.reconcile(store).dropped == [day]
    assert index.days() == []


def test_no_temp_files_left_by_normal_writes(index: FlatFaceIndex) -> None:
    for i in range(3):
        index.add(DAY1, [f"x{i}"], vectors(1, i))
    names = [p.name for p in (index.root / DAY1).iterdir()]
    assert len(names) == 3 and all(n.endswith(".seg") and not n.startswith(".") for n in names)
    assert [p.name for p in index.root.iterdir()] == [DAY1]


def test_prefetch_loads_several_days_at_once_and_search_agrees(
    index: FlatFaceIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prefetch` decrypts the days a search will read on several threads; the search
    then finds what it finds without it, reads no day twice, and a day added later
    (a new segment) is read again."""
    days = [f"2024-03-{d:02d}" for d in range(5, 10)]
    for n, day in enumerate(days):
        index.add(day, [f"{day}-{i}" for i in range(40)], vectors(40, seed=n + 1))
    queries = vectors(3, seed=3)
    cold = FlatFaceIndex(tmp_path / "faces", index._cipher)
    expected = cold.search_with_stats(queries, days, k=5)

    warm = FlatFaceIndex(tmp_path / "faces", index._cipher, max_cached_days=4)
    loads: list[str] = []
    real = FlatFaceIndex._load

    def counted(self: FlatFaceIndex, day: str, names: tuple[str, ...]) -> object:
        loads.append(day)
        return real(self, day, names)

    monkeypatch.setattr(FlatFaceIndex, "_load", counted)
    warm.prefetch([*days, days[0]])
    assert sorted(loads) == days[:4]  # as many as the cache holds, each once
    got = warm.search_with_stats(queries, days, k=5)
    assert loads.count(days[4]) == 1 and len(loads) == 5  # the fifth, by the search itself
    assert [[m.sighting_id for m in q] for q in got[0]] == [
        [m.sighting_id for m in q] for q in expected[0]
    ]
    assert got[1] == expected[1]
    warm.add(days[1], ["late"], vectors(1, seed=9))
    warm.prefetch(days[:3])
    assert loads.count(days[1]) == 2  # its segments changed: read again
    with pytest.raises(InputError):
        warm.prefetch(["not-a-day", days[0]])
