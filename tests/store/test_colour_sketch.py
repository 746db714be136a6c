"""The encrypted colour sketch in the window index (schema 0008): written with each
sighting, read by appearance screening from the index alone, filled in after an upgrade,
re-encrypted by key rotation, never in clear on disk."""

from __future__ import annotations

import dataclasses
import sqlite3

import numpy as np
import pytest

from cctrace.core.types import APPEARANCE_CNN_DIM, APPEARANCE_COLOUR_DIM, Sighting
from cctrace.store import db
from cctrace.store.home import InitResult, init_home
from cctrace.store.maintenance import fill_colour_sketches, rotate_keys
from cctrace.store.records import CameraRecord, SketchRows, VideoRecord
from cctrace.store.repo_maintenance import COLOUR_SKETCH_BACKFILL
from cctrace.store.repository import Store
from cctrace.store.sighting_rows import LONGEST_SIGHTING
from cctrace.store.vector_index import FlatFaceIndex
from tests.backends import Backend
from tests.store.bytescan import blobs, found
from tests.store.conftest import T0, make_sighting, video_record

DIM = APPEARANCE_CNN_DIM + APPEARANCE_COLOUR_DIM


def _people(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    """Appearance vectors laid out as `cctrace.vision.appearance` makes them: a
    non-negative unit CNN part, then a unit colour part of square-rooted histograms."""
    rng = np.random.default_rng(seed)
    cnn = rng.gamma(0.5, 1.0, (n, APPEARANCE_CNN_DIM)) + 0.5
    colour = rng.dirichlet(np.full(APPEARANCE_COLOUR_DIM, 0.3), n) ** 0.5
    cnn /= np.linalg.norm(cnn, axis=1, keepdims=True)
    colour /= np.linalg.norm(colour, axis=1, keepdims=True)
    return np.concatenate([cnn, colour], axis=1).astype(np.float32)


def _sightings(n: int, seed: int = 0) -> list[Sighting]:
    vectors = _people(n, seed)
    return [
        dataclasses.replace(make_sighting(i, T0 + 10 * i), appearance=vectors[i]) for i in range(n)
    ]


def _sketches(store: Store, spans: list[tuple[str, float, float]]) -> SketchRows:
    """What a screen sees: the index rows of ``spans`` (keeping none of them)."""
    seen: list[SketchRows] = []

    def screen(rows: SketchRows) -> np.ndarray:  # type: ignore[type-arg]
        seen.append(rows)
        return np.zeros(len(rows), np.bool_)

    assert len(store.appearance_rows(spans, screen=screen)) == 0
    (rows,) = seen
    return rows


def test_screening_reads_sketches_from_the_index_and_only_kept_rows_whole(
    store: Store, video: VideoRecord
) -> None:
    rows = _sightings(40)
    rows.append(dataclasses.replace(make_sighting(40, T0 + 400), appearance=None))
    rows.append(make_sighting(41, T0 + 410))  # 64-d: another layout, no sketch
    store.bulk_insert_sightings(rows)
    spans = [("cam-1", T0, T0 + 1000)]
    seen = _sketches(store, spans)
    assert sorted(seen.sighting_ids) == sorted(s.sighting_id for s in rows)
    by_id = {s.sighting_id: s for s in rows}
    for i, sid in enumerate(seen.sighting_ids):
        appearance = by_id[sid].appearance
        if appearance is not None and len(appearance) == DIM:
            np.testing.assert_array_equal(
                seen.colour[i], appearance[APPEARANCE_CNN_DIM:].astype(np.float16)
            )
        else:
            assert np.isnan(seen.colour[i]).all()  # unknown: a screen must keep it
    # A screen keeping every other row: exactly those come back, with their whole vector.
    wanted = set(seen.sighting_ids[::2])
    got = store.appearance_rows(
        spans, screen=lambda r: np.array([sid in wanted for sid in r.sighting_ids])
    )
    assert set(got.sighting_ids) == wanted
    for i, sid in enumerate(got.sighting_ids):
        appearance = by_id[sid].appearance
        if appearance is None:
            assert np.isnan(got.appearance[i]).all()
        elif len(appearance) == DIM:
            np.testing.assert_allclose(got.appearance[i], appearance, atol=2e-3)
    # Without a screen every row is read whole, as before.
    assert len(store.appearance_rows(spans)) == len(rows)
    with pytest.raises(ValueError, match="booleans"):
        store.appearance_rows(spans, screen=lambda r: np.ones(len(r) + 1, np.bool_))


def test_a_row_renumbered_between_the_two_reads_is_found_by_its_id(
    store: Store, video: VideoRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table read looks rows up by the rowid the index read gave, and checks the
    id: a VACUUM in between (a purge) may renumber rows, and then the id decides."""
    rows = _sightings(30)
    store.bulk_insert_sightings(rows)
    spans = [("cam-1", T0, T0 + 1000)]
    expected = store.appearance_rows(spans, screen=lambda r: np.ones(len(r), np.bool_))
    real = Store._blob_chunk

    def shuffled(self: Store, keys: list[int]) -> dict[int, tuple[str, bytes | None]]:
        found = real(self, keys)
        ordered = sorted(found)  # every rowid now points at its neighbour's row
        return {k: found[ordered[(i + 1) % len(ordered)]] for i, k in enumerate(ordered)}

    monkeypatch.setattr(Store, "_blob_chunk", shuffled)
    got = store.appearance_rows(spans, screen=lambda r: np.ones(len(r), np.bool_))
    assert got.sighting_ids == expected.sighting_ids
    np.testing.assert_array_equal(got.appearance, expected.appearance)


def test_the_sketch_is_in_the_index_and_never_in_clear(
    store: Store, video: VideoRecord, initialised: InitResult, backend: Backend
) -> None:
    rows = _sightings(5)
    store.bulk_insert_sightings(rows)
    if not backend.is_postgres:  # (PostgreSQL's planner picks by table size, not here)
        with sqlite3.connect(initialised.home.db_path) as conn:
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    "EXPLAIN QUERY PLAN SELECT rowid, id, camera_id, t_start_s, t_end_s, "
                    "appearance_colour_enc FROM sightings WHERE camera_id = 'cam-1' "
                    "AND t_start_s <= 1e12 AND t_start_s >= 0 AND t_end_s >= 0"
                )
            )
        assert "COVERING INDEX ix_sightings_screen" in plan
    store.wipe_free_space()  # the log copied into the file: one place to scan
    needles = {}
    for s in rows:
        assert s.appearance is not None
        colour = s.appearance[APPEARANCE_CNN_DIM:].astype("<f2").tobytes()
        needles[s.sighting_id] = colour[:24]
    assert found(initialised.home.root, needles, wal=True) == []


def test_an_upgraded_store_gets_its_sketches_filled_in_resumably(
    initialised: InitResult,
) -> None:
    from alembic import command

    home = initialised.home
    rows = _sightings(30)
    with Store.open(home) as store:
        store.add_camera(CameraRecord("cam-1", "Main entrance", site="Station"))
        store.begin_video(video_record())
        store.bulk_insert_sightings(rows)
        fresh = _sketches(store, [("cam-1", T0, T0 + 1000)])
    engine = db.make_engine(home.database_url)
    try:
        config = db._alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")  # the sketches go with their column
    finally:
        engine.dispose()
    assert init_home(home.root, env={}).upgraded_from == "0007"
    with Store.open(home) as store:
        assert store.get_setting(COLOUR_SKETCH_BACKFILL) == "pending"
        assert store.get_setting(LONGEST_SIGHTING) == "3.0"  # found by the migration
        # Not filled yet: every row has an unknown colour, so screening reads it whole.
        assert np.isnan(_sketches(store, [("cam-1", T0, T0 + 1000)]).colour).all()
        # Interrupted after one batch of 8 ...
        first = next(store.backfill_colour_sketches(batch=8))
        assert (first.scanned, first.resealed) == (8, 8)
        # ... and finished by the next run, which skips the rows already done.
        assert fill_colour_sketches(store, batch=8) == 22
        assert store.get_setting(COLOUR_SKETCH_BACKFILL) == "done"
        assert fill_colour_sketches(store) is None
        filled = _sketches(store, [("cam-1", T0, T0 + 1000)])
    order = np.argsort(fresh.sighting_ids)
    again = np.argsort(filled.sighting_ids)
    np.testing.assert_array_equal(fresh.colour[order], filled.colour[again])


def test_an_empty_store_needs_no_filling(store: Store) -> None:
    assert store.get_setting(COLOUR_SKETCH_BACKFILL) is None
    assert store.get_setting(LONGEST_SIGHTING) == "0.0"
    assert fill_colour_sketches(store) is None


def test_key_rotation_reencrypts_the_sketches(store: Store, video: VideoRecord) -> None:
    rows = _sightings(12)
    store.bulk_insert_sightings(rows)
    before = _sketches(store, [("cam-1", T0, T0 + 1000)])
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    report = rotate_keys(store, index, batch=5, grace_s=0)
    assert set(store.key_ids_in_use()) == {report.new_key_id}
    sealed = [
        blob.hex()
        for _, blob in blobs(
            store.home.db_path,
            "SELECT id, substr(appearance_colour_enc, 2, 8) FROM sightings "
            "WHERE appearance_colour_enc IS NOT NULL",
        )
    ]
    assert len(sealed) == len(rows) and set(sealed) == {report.new_key_id}
    after = _sketches(store, [("cam-1", T0, T0 + 1000)])
    np.testing.assert_array_equal(before.colour, after.colour)
