"""Sightings: bulk writes, reads by window or id, appearance screening, and what the
face index is built from.

The window reads bound their index scan by the longest sighting stored
(`sighting_rows.LONGEST_SIGHTING`), so a window costs the same however much older
footage the store holds. Biometric fields are decrypted only when a caller asks.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, insert, select, text
from sqlalchemy.sql.elements import TextClause

from cctrace.core.errors import InputError
from cctrace.core.types import APPEARANCE_COLOUR_DIM, Sighting
from cctrace.store.base import StoreBase
from cctrace.store.codecs import APPEARANCE, COLOUR_SKETCH, FACE, appearance_f16
from cctrace.store.models import CameraRow, SightingRow, VideoRow
from cctrace.store.records import AppearanceRows, DayFaces, IndexStats, SketchRows, SketchScreen
from cctrace.store.sighting_rows import (
    IN_CHUNK,
    LONGEST_SIGHTING,
    check_duration,
    id_chunks,
    longest_in,
    longest_of,
    raise_longest,
    read_columns,
    row_values,
    sighting_of,
)

_SPANS_PER_QUERY = 200  # OR terms of 4 parameters each per query
_READ_THREADS = max(2, min(8, os.cpu_count() or 2))
"""Concurrent screening reads, one per core (2 to 8): a cold read waits on the disk, not
the CPU (the database driver lets go of the GIL while it waits), and a disk serves
several reads at once; with the rows in memory, more threads than cores only fight over
the GIL. On the 2-core VM, 10 patients at 10 M sightings (schema 0007, before the
colour sketch): page cache emptied 3.52 s with 1 thread, 2.86 s with 2, 2.79 s with 4,
2.92 s with 8; rows in memory 1.65-1.88 s with 1 or 2, 1.91-2.16 s with 4 or 8
(docs/benchmarks.md, "Scale")."""


class SightingsRepo(StoreBase):
    # -- writes ------------------------------------------------------------------------

    def bulk_insert_sightings(self, sightings: Sequence[Sighting]) -> int:
        """Insert sightings known to be new in one transaction, without the per-id checks
        of `commit_checkpoint` (for bulk loads such as `cctrace sim`: some 10x faster).

        Every sighting's video must exist and be ``ingesting``; a stored id makes the
        whole batch fail (IntegrityError) and nothing is written. Returns the count.
        """
        for s in sightings:
            check_duration(s)
        videos = {s.video_id for s in sightings}
        with self._write() as session:
            for chunk in id_chunks(sorted(videos)):
                ok = set(
                    session.scalars(
                        select(VideoRow.id).where(
                            VideoRow.id.in_(chunk), VideoRow.status == "ingesting"
                        )
                    )
                )
                missing = sorted(set(chunk) - ok)
                if missing:
                    raise InputError(
                        f"video {missing[0]} is not being ingested (unknown, or already "
                        "done): call begin_video first"
                    )
            rows = [row_values(self.cipher, s) for s in sightings]
            if rows:
                raise_longest(session, sightings)
                session.execute(insert(SightingRow), rows)
        return len(sightings)

    # -- reads -------------------------------------------------------------------------

    def sightings(
        self,
        camera_ids: Sequence[str] | None = None,
        t_from_s: float | None = None,
        t_to_s: float | None = None,
        with_biometrics: bool = False,
        with_thumbnail: bool | None = None,
    ) -> Iterator[Sighting]:
        """Sightings overlapping ``[t_from_s, t_to_s]`` on the given cameras, by start time.

        Biometric fields are decrypted only with ``with_biometrics``; otherwise they are
        None. The thumbnail follows ``with_biometrics`` unless ``with_thumbnail`` says
        otherwise (a trace needs embeddings, not pictures: skipping them saves reads).
        """
        thumb = with_biometrics if with_thumbnail is None else with_thumbnail
        stmt = select(*read_columns(thumb)).order_by(SightingRow.t_start_s, SightingRow.id)
        if camera_ids is not None:
            stmt = stmt.where(SightingRow.camera_id.in_(list(camera_ids)))
        if t_to_s is not None:
            stmt = stmt.where(SightingRow.t_start_s <= t_to_s)
        with self._sessions() as session:
            if t_from_s is not None:
                # The lower bound on the start lets the index bound the scan, so a window
                # costs the same however much older footage the index holds; it is exact
                # because no stored sighting lasts longer (read in this transaction).
                stmt = stmt.where(
                    SightingRow.t_end_s >= t_from_s,
                    SightingRow.t_start_s >= t_from_s - longest_in(session),
                )
            for row in session.execute(stmt.execution_options(yield_per=500)):
                yield sighting_of(self.cipher, row, with_biometrics, thumb)

    def get_sightings(
        self,
        sighting_ids: Sequence[str],
        with_biometrics: bool = False,
        with_thumbnail: bool | None = None,
    ) -> list[Sighting]:
        """The stored sightings among ``sighting_ids``, in the given order (unknown ids
        skipped); biometrics and thumbnail as in `sightings`."""
        thumb = with_biometrics if with_thumbnail is None else with_thumbnail
        found: dict[str, Sighting] = {}
        with self._sessions() as session:
            for chunk in id_chunks(list(sighting_ids)):
                stmt = select(*read_columns(thumb)).where(SightingRow.id.in_(chunk))
                for row in session.execute(stmt):
                    found[row.id] = sighting_of(self.cipher, row, with_biometrics, thumb)
        return [found[i] for i in sighting_ids if i in found]

    def count_sightings(self, video_id: str | None = None) -> int:
        """Sightings stored, all or of one video."""
        stmt = select(func.count()).select_from(SightingRow)
        if video_id is not None:
            stmt = stmt.where(SightingRow.video_id == video_id)
        with self._sessions() as session:
            return int(session.execute(stmt).scalar_one())

    def face_counts_by_day(self) -> dict[str, int]:
        """Number of sightings with a face embedding per UTC day (what the face index holds)."""
        stmt = (
            select(SightingRow.day, func.count())
            .where(SightingRow.face_embedding_enc.is_not(None))
            .group_by(SightingRow.day)
        )
        with self._sessions() as session:
            return {day: int(n) for day, n in session.execute(stmt)}

    def day_faces(self, day: str) -> DayFaces:
        """Every face embedding of ``day``, decrypted: the source the face index is rebuilt from."""
        stmt = (
            select(SightingRow.id, SightingRow.face_embedding_enc)
            .where(SightingRow.day == day, SightingRow.face_embedding_enc.is_not(None))
            .order_by(SightingRow.id)
        )
        ids: list[str] = []
        vectors: list[np.ndarray] = []  # type: ignore[type-arg]
        with self._sessions() as session:
            for sid, blob in session.execute(stmt):
                assert blob is not None
                ids.append(sid)
                vectors.append(self.cipher.decrypt_array(blob, sid, FACE))
        dim = len(vectors[0]) if vectors else 128
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
        return DayFaces(day, ids, matrix)

    def stats(self) -> IndexStats:
        with self._sessions() as session:
            count = func.count()
            cameras = session.execute(select(count).select_from(CameraRow)).scalar_one()
            videos = session.execute(select(func.count()).select_from(VideoRow)).scalar_one()
            sightings, faces, first, last = session.execute(
                select(
                    func.count(),
                    func.count(SightingRow.face_embedding_enc),
                    func.min(SightingRow.t_start_s),
                    func.max(SightingRow.t_end_s),
                )
            ).one()
        return IndexStats(
            cameras=int(cameras),
            videos=int(videos),
            sightings=int(sightings),
            faces=int(faces),
            first=None if first is None else datetime.fromtimestamp(first, UTC),
            last=None if last is None else datetime.fromtimestamp(last, UTC),
        )

    # -- appearance screening ----------------------------------------------------------

    def appearance_rows(
        self,
        spans: Sequence[tuple[str, float, float]],
        screen: SketchScreen | None = None,
    ) -> AppearanceRows:
        """Id, camera, interval and appearance of the sightings overlapping each
        ``(camera_id, t_from_s, t_to_s)`` span, each sighting once, and nothing else: no
        path, face or thumbnail is read or decrypted. A trace screens many candidates by
        appearance this way and reads whole only the few alike.

        With ``screen``, the rows are first read from the window index alone (id, times,
        colour sketch: `SketchRows`), and only those ``screen`` keeps are looked up in
        the table for their appearance vector; the others are left out of the result.
        A row without a sketch has a NaN colour row, and ``screen`` must keep it (its
        colour is unknown). When the rows are not in memory, the table read (a random
        page per row) is what a trace waits for, and colour alone rules most rows out.

        Both reads run in chunks on up to `_READ_THREADS` threads, each with its own
        connection, and do nothing but SQL (the driver lets go of the GIL): a disk
        serves several random reads at once. Decryption and the screen run here, on
        the caller's thread, once over all rows: in two threads they fought over the
        GIL. The table read looks rows up by rowid and checks their id; a row whose
        rowid a VACUUM changed in between is looked up by id instead.
        """
        chunks = [
            spans[start : start + _SPANS_PER_QUERY]
            for start in range(0, len(spans), _SPANS_PER_QUERY)
        ]
        if not chunks:
            return AppearanceRows([], [], np.zeros(0), np.zeros(0), np.zeros((0, 0), np.float16))
        index_rows: list[Any] = []
        seen: set[str] = set()
        with ThreadPoolExecutor(max(1, min(_READ_THREADS, len(chunks)))) as pool:
            for part in pool.map(self._index_chunk, chunks):
                for row in part:
                    if row[1] not in seen:
                        seen.add(row[1])
                        index_rows.append(row)
            kept = self._screened(index_rows, screen)
            keys = [r[0] for r in kept]
            parts = [keys[i : i + IN_CHUNK] for i in range(0, len(keys), IN_CHUNK)]
            blobs: dict[Any, tuple[str, bytes | None]] = {}
            for found in pool.map(self._blob_chunk, parts):
                blobs.update(found)
        moved = [r[1] for r in kept if (b := blobs.get(r[0])) is None or b[0] != r[1]]
        by_id = self._blobs_by_id(moved) if moved else {}
        dec = self.cipher
        ids: list[str] = []
        cams: list[str] = []
        t0: list[float] = []
        t1: list[float] = []
        vectors: list[NDArray[np.float16] | None] = []
        for key, sid, cam, t_start, t_end, _ in kept:
            blob = blobs.get(key)
            if blob is None or blob[0] != sid:
                blob = by_id.get(sid)
                if blob is None:
                    continue  # deleted (a purge) between the two reads
            ids.append(sid)
            cams.append(cam)
            t0.append(t_start)
            t1.append(t_end)
            vectors.append(
                None
                if blob[1] is None
                else appearance_f16(sid, dec.decrypt_bytes(blob[1], sid, APPEARANCE))
            )
        dim = next((len(v) for v in vectors if v is not None), 0)
        nan_row = np.full((dim,), np.nan, np.float16)
        matrix = (
            np.stack([v if v is not None and len(v) == dim else nan_row for v in vectors])
            if vectors
            else np.zeros((0, dim), np.float16)
        )
        return AppearanceRows(
            ids, cams, np.asarray(t0, np.float64), np.asarray(t1, np.float64), matrix
        )

    def _index_chunk(self, chunk: Sequence[tuple[str, float, float]]) -> list[Any]:
        """``(key, id, camera, start, end, sealed sketch)`` of the sightings overlapping
        ``chunk``'s spans, from the window index alone; ``key`` is SQLite's rowid (the
        id elsewhere). The scan bound is read in the same transaction."""
        params: dict[str, object] = {}
        for i, (cam, lo, hi) in enumerate(chunk):
            params.update({f"c{i}": cam, f"h{i}": hi, f"l{i}": lo})
        with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # The driver's own cursor: SQLAlchemy's row objects cost more than the
                # read itself for these tens of thousands of narrow rows.
                raw = conn.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                raw.execute("BEGIN")
                try:
                    found = raw.execute(
                        "SELECT value FROM settings WHERE key = ?", (LONGEST_SIGHTING,)
                    ).fetchone()
                    _start_bounds(params, chunk, longest_of(found))
                    return raw.execute(_sketch_query(len(chunk)).text, params).fetchall()
                finally:
                    raw.execute("COMMIT")
            with conn.begin():
                _start_bounds(params, chunk, longest_in(conn))
                query = _sketch_query(len(chunk), "id")
                rows = [tuple(r) for r in conn.execute(query, params)]
            # In the window index's order, as SQLite returns them: PostgreSQL returns
            # heap order, which an UPDATE or VACUUM FULL changes, and the trace's ties
            # would follow it.
            rows.sort(key=lambda r: (r[2], r[3], r[4], r[1]))
            return rows

    def _blob_chunk(self, keys: Sequence[Any]) -> dict[Any, tuple[str, bytes | None]]:
        """Id and sealed appearance of rows by `_index_chunk` key."""
        with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                raw = conn.connection.driver_connection
                assert isinstance(raw, sqlite3.Connection)
                return _rows_by_rowid(raw, keys)
            return _rows_by_id(conn, keys)

    def _blobs_by_id(self, ids: Sequence[str]) -> dict[str, tuple[str, bytes | None]]:
        with self._engine.connect() as conn:
            return _rows_by_id(conn, ids)

    def _screened(self, rows: list[Any], screen: SketchScreen | None) -> list[Any]:
        """The index rows ``screen`` keeps (all of them without one), sketches decrypted."""
        if screen is None or not rows:
            return rows
        dec = self.cipher
        colour = np.full((len(rows), APPEARANCE_COLOUR_DIM), np.nan, np.float16)
        for i, (_, sid, _, _, _, blob) in enumerate(rows):
            if blob is not None:
                sketch = appearance_f16(sid, dec.decrypt_bytes(blob, sid, COLOUR_SKETCH))
                if len(sketch) == APPEARANCE_COLOUR_DIM:
                    colour[i] = sketch
        sketches = SketchRows(
            [r[1] for r in rows],
            [r[2] for r in rows],
            np.fromiter((r[3] for r in rows), np.float64, len(rows)),
            np.fromiter((r[4] for r in rows), np.float64, len(rows)),
            colour,
        )
        keep = np.asarray(screen(sketches), np.bool_)
        if keep.shape != (len(rows),):
            raise ValueError(f"a screen must return ({len(rows)},) booleans, got {keep.shape}")
        return [rows[i] for i in np.flatnonzero(keep)]


def _start_bounds(
    params: dict[str, object], chunk: Sequence[tuple[str, float, float]], longest: float
) -> None:
    """The earliest start of a sighting overlapping each span of ``chunk``."""
    for i, (_, lo, _) in enumerate(chunk):
        params[f"b{i}"] = lo - longest


@functools.lru_cache(maxsize=8)
def _sketch_query(n: int, key_column: str = "rowid") -> TextClause:
    """Sightings overlapping n ``(camera, from, to)`` spans, from the window index alone
    (it holds every column asked for): one OR term per span, each a range scan. Plain
    SQL text, cached per span count: building and parsing the statement for every read
    cost more than running it. The first column, ``key_column``, finds the row again for
    the table read: SQLite's rowid, the id elsewhere."""
    terms = " OR ".join(
        f"(camera_id = :c{i} AND t_start_s <= :h{i} AND t_start_s >= :b{i} AND t_end_s >= :l{i})"
        for i in range(n)
    )
    return text(
        f"SELECT {key_column}, id, camera_id, t_start_s, t_end_s, appearance_colour_enc "
        f"FROM sightings WHERE {terms}"
    )


def _rows_by_rowid(
    conn: sqlite3.Connection, rowids: Sequence[int]
) -> dict[int, tuple[str, bytes | None]]:
    """Id and appearance blob of SQLite rows by rowid: one table lookup each."""
    out: dict[int, tuple[str, bytes | None]] = {}
    for start in range(0, len(rowids), IN_CHUNK):
        part = rowids[start : start + IN_CHUNK]
        marks = ",".join("?" * len(part))
        query = f"SELECT rowid, id, appearance_enc FROM sightings WHERE rowid IN ({marks})"
        for rowid, sid, blob in conn.execute(query, part):
            out[rowid] = (sid, blob)
    return out


def _rows_by_id(conn: Any, ids: Sequence[str]) -> dict[str, tuple[str, bytes | None]]:
    """`_rows_by_rowid` for other databases: by primary key."""
    out: dict[str, tuple[str, bytes | None]] = {}
    for part in id_chunks(list(ids)):
        stmt = select(SightingRow.id, SightingRow.appearance_enc).where(SightingRow.id.in_(part))
        for sid, blob in conn.execute(stmt):
            out[sid] = (sid, blob)
    return out
