"""Maintenance that rewrites stored data: the lock it holds, key rotation, and filling in
what a schema upgrade added (`fill_colour_sketches`).

Key rotation (`rotate_keys`), resumable at every step:

1. ``keys/next.key`` is created (unless a previous run left it). From then on every
   `Cipher` made from the key files encrypts with it and decrypts with both keys; ciphers
   already open in other processes pick it up within a second (see `crypto.KeyFiles`).
2. Every sighting blob and case reference not sealed with the new key is re-encrypted,
   in batches of committed transactions; then every face index day holding a segment
   sealed with another key is rewritten as one new segment, and the old ones wiped.
3. A check pass counts blobs and segments under any other key; a writer that still used
   the old key meanwhile is caught here and the pass repeats.
4. On PostgreSQL the tables of sealed blobs are rewritten (VACUUM FULL): the row versions
   the re-encryption replaced would otherwise stay in their pages.
5. Only then is the old key destroyed (overwritten, fsynced, unlinked) and ``next.key``
   renamed to ``master.key``.

A crash anywhere leaves both keys (or, after 5 began, the new key alone) and readable
data; rerunning finishes the job.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cctrace.core.errors import CctraceError, InputError
from cctrace.store.crypto import (
    REFRESH_EVERY_S,
    KeyFiles,
    overwrite_and_unlink,
    write_new_key_file_atomically,
)
from cctrace.store.home import Home
from cctrace.store.records import ResealCounts
from cctrace.store.repo_maintenance import COLOUR_SKETCH_BACKFILL
from cctrace.store.repository import Store
from cctrace.store.vector_index import FlatFaceIndex

MAX_PASSES = 5


@contextmanager
def maintenance_lock(home: Home) -> Iterator[None]:
    """One purge or key rotation at a time per data folder; InputError if one is running."""
    path = home.root / "maintenance.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"another purge or key rotation is running on {home.root} (it holds {path}): "
                "wait for it to finish, then run this again"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


@dataclass(frozen=True)
class RotationReport:
    new_key_id: str
    old_key_ids: list[str]
    resumed: bool
    """True when this run finished a rotation an earlier run had started."""
    sightings: int
    case_references: int
    index_days: int
    passes: int
    trace_results: int = 0


Progress = Callable[[str, ResealCounts], None]


def rotate_keys(
    store: Store,
    index: FlatFaceIndex,
    batch: int = 500,
    grace_s: float = 2 * REFRESH_EVERY_S,
    progress: Progress | None = None,
) -> RotationReport:
    """Re-encrypt every biometric record under a new key, then destroy the old key.

    ``index`` must use ``store.cipher``. ``grace_s``: how long to wait after creating the
    new key, so that processes already running switch to it before the first pass.
    """
    files = KeyFiles(store.home.key_path)
    with maintenance_lock(store.home):
        resumed = files.next.exists()
        if not resumed:
            files.load()  # InputError naming the key file if it is missing or unsafe
            write_new_key_file_atomically(files.next)
            _fsync_dir(files.next.parent)
        store.cipher.reload()
        new_id = store.cipher.key_id
        old_ids = [k for k in store.cipher.key_ids if k != new_id]
        if not resumed and grace_s > 0:
            time.sleep(grace_s)
        index.wipe_leftovers()  # half-dropped days hold old-key segments too
        totals = {"sightings": 0, "case_references": 0, "index_days": 0, "trace_results": 0}
        passes = 0
        while passes < MAX_PASSES:
            passes += 1
            totals["sightings"] += _drain(store.reseal_sightings(batch), "sightings", progress)
            totals["case_references"] += _drain(
                store.reseal_case_references(batch), "case references", progress
            )
            totals["trace_results"] += store.reseal_trace_results()
            for day in index.days():
                if any(ids - {new_id} for ids in index.segment_key_ids(day).values()):
                    index.reseal_day(day)
                    totals["index_days"] += 1
            if not _left_under_other_keys(store, index, new_id):
                break
        else:
            raise CctraceError(
                f"records sealed with the old key keep appearing in {store.home.root}: a "
                "process started before the rotation is still writing with it; stop it, "
                "then run `cctrace keys rotate` again (both keys are kept until then)"
            )
        store.rewrite_sealed_tables()
        # Everything is under the new key: destroy the old one, then promote the new.
        overwrite_and_unlink(files.master)
        _fsync_dir(files.master.parent)
        files.next.replace(files.master)
        _fsync_dir(files.master.parent)
        store.cipher.reload()
    return RotationReport(
        new_key_id=new_id,
        old_key_ids=old_ids,
        resumed=resumed,
        sightings=totals["sightings"],
        case_references=totals["case_references"],
        index_days=totals["index_days"],
        passes=passes,
        trace_results=totals["trace_results"],
    )


def fill_colour_sketches(
    store: Store, batch: int = 2000, progress: Progress | None = None
) -> int | None:
    """Give the sightings an upgrade to schema 0008 found their colour sketch (see
    `Store.backfill_colour_sketches`); returns how many were written, or None when
    nothing was pending. Holds the maintenance lock, so no purge or key rotation runs
    meanwhile; an interrupted run leaves the mark, and the next one goes on."""
    if store.get_setting(COLOUR_SKETCH_BACKFILL) != "pending":
        return None
    with maintenance_lock(store.home):
        filled = _drain(store.backfill_colour_sketches(batch), "colour sketches", progress)
        store.set_setting(COLOUR_SKETCH_BACKFILL, "done", "cctrace init")
    return filled


def _drain(counts: Iterator[ResealCounts], what: str, progress: Progress | None) -> int:
    last = ResealCounts(0, 0)
    for last in counts:
        if progress is not None:
            progress(what, last)
    return last.resealed


def _left_under_other_keys(store: Store, index: FlatFaceIndex, key_id: str) -> bool:
    if any(k != key_id for k in store.key_ids_in_use()):
        return True
    if store.trace_result_key_ids() - {key_id}:
        return True
    return any(
        ids - {key_id} for day in index.days() for ids in index.segment_key_ids(day).values()
    )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
