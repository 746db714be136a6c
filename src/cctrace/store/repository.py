"""The store: typed access to cameras, videos, sightings and users over one database.

`Store.open(home)` makes its own engine and session factory (nothing global), checks
that the key and schema are there, and decrypts biometric fields only when asked.
Sighting writes are idempotent by sighting id, so a resumed ingestion that commits the
same batch again adds nothing.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    Connection,
    CursorResult,
    Double,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import TextClause

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.core.types import (
    APPEARANCE_CNN_DIM,
    APPEARANCE_COLOUR_DIM,
    FloatArray,
    Sighting,
)
from cctrace.store import db
from cctrace.store.crypto import Cipher, KeyFiles, blob_key_id
from cctrace.store.home import Home
from cctrace.store.models import (
    CameraRow,
    CaseExportRow,
    CaseReferenceRow,
    CaseRow,
    SettingRow,
    SightingRow,
    VideoRow,
    utc_now,
)
from cctrace.store.records import (
    AppearanceRows,
    CameraRecord,
    CaseExport,
    CaseRecord,
    CaseReference,
    DayFaces,
    IndexStats,
    IssuedToken,
    PurgeCounts,
    ResealCounts,
    Role,
    SketchRows,
    SketchScreen,
    User,
    VideoRecord,
)
from cctrace.store.users import authenticate, create_user, revoke_user

if TYPE_CHECKING:
    from cctrace.privacy.audit import AuditEntry, VerifyReport

# Field names are part of each blob's associated data: renaming one orphans stored data.
FACE = "face_embedding"
APPEARANCE = "appearance"
THUMBNAIL = "thumbnail"
COLOUR_SKETCH = "appearance_colour"
COLOUR_SKETCH_BACKFILL = "colour_sketch_backfill"  # setting: schema 0008 left rows to fill
LONGEST_SIGHTING = "longest_sighting_s"
"""Setting: the longest sighting stored, in seconds (schema 0008; raised by every insert
in the same transaction). Window reads scan the index from this far before a window."""
_IN_CHUNK = 500  # ids per IN (...) clause: well under SQLite's and PostgreSQL's limits
_SPANS_PER_QUERY = 200  # OR terms of 4 parameters each per query
_READ_THREADS = max(2, min(8, os.cpu_count() or 2))
"""Concurrent screening reads, one per core (2 to 8): a cold read waits on the disk, not
the CPU (the database driver lets go of the GIL while it waits), and a disk serves
several reads at once; with the rows in memory, more threads than cores only fight over
the GIL. On the 2-core VM, 10 patients at 10 M sightings (schema 0007, before the
colour sketch): page cache emptied 3.52 s with 1 thread, 2.86 s with 2, 2.79 s with 4,
2.92 s with 8; rows in memory 1.65-1.88 s with 1 or 2, 1.91-2.16 s with 4 or 8
(docs/benchmarks.md, "Scale")."""


MAX_SIGHTING_S = 3600.0
"""No sighting may last longer: ingestion ends every track at a checkpoint, at most
every hour of video. Time-window queries bound their scan by the longest sighting
actually stored (`LONGEST_SIGHTING`: with the default 5-minute checkpoint, 300 s), and
by this only on a store that has no such setting."""


def check_duration(s: Sighting) -> None:
    if not s.t_end_s - s.t_start_s <= MAX_SIGHTING_S:
        raise ValueError(
            f"sighting {s.sighting_id} lasts {s.t_end_s - s.t_start_s:.0f} s, more than "
            f"the {MAX_SIGHTING_S:.0f} s a sighting may last"
        )


def utc_day(t_s: float) -> str:
    """The UTC calendar day ``YYYY-MM-DD`` of epoch seconds ``t_s``."""
    return datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%d")


class Store:
    """Repository over one home's database; use as a context manager or call `close`."""

    def __init__(self, home: Home, engine: Engine, cipher: Cipher) -> None:
        self.home = home
        self.cipher = cipher
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, home: Home) -> Store:
        if home.uses_sqlite and not home.db_path.exists():
            raise InputError(
                f"no cctrace database in {home.root}: run `cctrace init --home {home.root}` first"
            )
        cipher = Cipher.from_key_files(KeyFiles(home.key_path))
        engine = db.make_engine(home.database_url)
        current, head = db.current_revision(engine), db.head_revision()
        if current != head:
            engine.dispose()
            raise InputError(
                f"the database of {home.root} is at schema {current}, this cctrace needs {head}: "
                f"run `cctrace init --home {home.root}` to upgrade it"
            )
        return cls(home, engine, cipher)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    # -- users -------------------------------------------------------------------------

    def authenticate(self, token: str | None) -> User:
        """The user a token belongs to; `AuthError` (exit 4) otherwise. The one token check."""
        with self._sessions() as session:
            return authenticate(session, token)

    def revoke_user(self, name: str) -> User:
        with self._write() as session:
            return revoke_user(session, name)

    def create_user(self, name: str, role: Role, expires_at: datetime | None = None) -> IssuedToken:
        with self._write() as session:
            return create_user(session, name, role, expires_at)

    # -- audit -------------------------------------------------------------------------

    @property
    def audit_anchor(self) -> Path:
        return self.home.root / "audit.anchor"

    def audit(
        self,
        actor: str,
        role: str,
        action: str,
        outcome: str,
        case_id: str | None = None,
        target: str = "",
    ) -> None:
        """Append one entry to the tamper-evident log and move its anchor."""
        from cctrace.privacy import audit

        # Nothing happens unaudited: if the log cannot be written, the action stops here.
        try:
            with self._write() as session:
                intact = audit.anchor_matches(session, self.audit_anchor)
                entry = audit.append(session, actor, role, action, outcome, case_id, target)
            if intact:
                audit.write_anchor(self.audit_anchor, entry)
        except (OperationalError, OSError) as exc:
            raise InputError(
                f"data folder {self.home.root} is not writable, so the audit log cannot be "
                f"written ({exc.__class__.__name__}); fix its permissions"
            ) from None

    def audit_entries(self, case_id: str | None = None) -> list[AuditEntry]:
        from cctrace.privacy import audit

        with self._sessions() as session:
            return audit.entries(session, case_id)

    def verify_audit(self) -> VerifyReport:
        from cctrace.privacy import audit

        return audit.verify(self.audit_entries(), self.audit_anchor)

    # -- cameras -----------------------------------------------------------------------

    def add_camera(self, camera: CameraRecord) -> CameraRecord:
        return self.add_cameras([camera])[0]

    def add_cameras(self, cameras: Sequence[CameraRecord]) -> list[CameraRecord]:
        """Add every camera in one transaction: all of them, or none if one id exists."""
        with self._write() as session:
            return [self._add_camera(session, c) for c in cameras]

    def _add_camera(self, session: Session, camera: CameraRecord) -> CameraRecord:
        if session.get(CameraRow, camera.camera_id) is not None:
            raise InputError(
                f"camera {camera.camera_id!r} already exists: choose another id "
                "or remove the existing camera first"
            )
        row = CameraRow(
            id=camera.camera_id,
            name=camera.name,
            site=camera.site,
            lat=camera.lat,
            lon=camera.lon,
            x_m=camera.x_m,
            y_m=camera.y_m,
            calibration_json=camera.calibration_json,
            reprojection_error_m=camera.reprojection_error_m,
            created_at=utc_now(),
        )
        session.add(row)
        session.flush()
        return _camera_of(row)

    def check_writable(self) -> None:
        """InputError naming the data folder when this process cannot write to it."""
        probe = self.home.root / f".write-check-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InputError(
                f"data folder {self.home.root} is not writable ({exc.strerror}); "
                "fix its permissions or choose another with --home"
            ) from None
        if self.home.uses_sqlite and not os.access(self.home.db_path, os.W_OK):
            raise InputError(f"database {self.home.db_path} is read-only; fix its permissions")

    def videos_of_camera(self, camera_id: str) -> list[VideoRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(VideoRow).where(VideoRow.camera_id == camera_id).order_by(VideoRow.start_utc)
            )
            return [_video_of(r) for r in rows]

    def get_camera(self, camera_id: str) -> CameraRecord | None:
        with self._sessions() as session:
            row = session.get(CameraRow, camera_id)
            return None if row is None else _camera_of(row)

    def require_camera(self, camera_id: str) -> CameraRecord:
        camera = self.get_camera(camera_id)
        if camera is None:
            raise InputError(
                f"unknown camera {camera_id!r}: add it first, or see the known ones "
                "with `cctrace cameras list`"
            )
        return camera

    def list_cameras(self) -> list[CameraRecord]:
        # Plain rows, not ORM objects: a city's thousands of cameras are read by every
        # trace, and building mapped instances cost 0.12 s for 2,857 of them.
        columns = CameraRow.__table__.columns
        with self._sessions() as session:
            return [
                _camera_of(r)  # type: ignore[arg-type]  # a Row has the same attributes
                for r in session.execute(select(*columns).order_by(CameraRow.id))
            ]

    # -- videos ------------------------------------------------------------------------

    def video_by_id(self, video_id: str) -> VideoRecord | None:
        with self._sessions() as session:
            row = session.get(VideoRow, video_id)
            return None if row is None else _video_of(row)

    def begin_video(self, video: VideoRecord) -> VideoRecord:
        """Register a video for ingestion, or return the stored one if its content is known.

        The caller reads the result: ``status == "done"`` means nothing to do (same file
        ingested before), ``"ingesting"`` with a checkpoint means resume from there.
        """
        with self._write() as session:
            row = session.get(VideoRow, video.video_id)
            if row is not None:
                return _video_of(row)
            if session.get(CameraRow, video.camera_id) is None:
                raise InputError(
                    f"video {video.path} names unknown camera {video.camera_id!r}: "
                    "add the camera first"
                )
            row = VideoRow(
                id=video.video_id,
                camera_id=video.camera_id,
                path=video.path,
                start_utc=video.start_utc,
                duration_s=video.duration_s,
                fps=video.fps,
                width=video.width,
                height=video.height,
                status="ingesting",
                checkpoint_t_s=None,
                next_track_id=video.next_track_id,
                frames_analysed=0,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            return _video_of(row)

    def commit_checkpoint(
        self,
        video_id: str,
        sightings: Sequence[Sighting],
        checkpoint_t_s: float,
        next_track_id: int,
        frames_analysed: int,
    ) -> list[str]:
        """Store ``sightings`` and move the video's checkpoint, in one transaction.

        Sightings whose id is already stored are skipped, so committing a batch twice
        (a crash after commit, then a resume) stores it once. Returns the ids inserted
        now, in input order: exactly those the vector index still needs.
        """
        for s in sightings:
            check_duration(s)
            if s.video_id != video_id:
                raise ValueError(
                    f"sighting {s.sighting_id} is of video {s.video_id}, not {video_id}"
                )
        with self._write() as session:
            # The UPDATE comes first so SQLite takes its write lock before any read: a
            # read-then-write transaction can fail outright when another writer got in.
            updated = cast(
                CursorResult[Any],
                session.execute(
                    update(VideoRow)
                    .where(VideoRow.id == video_id, VideoRow.status == "ingesting")
                    .values(
                        checkpoint_t_s=checkpoint_t_s,
                        next_track_id=next_track_id,
                        frames_analysed=frames_analysed,
                    )
                ),
            ).rowcount
            if updated != 1:
                raise InputError(
                    f"video {video_id} is not being ingested (unknown, or already done): "
                    "call begin_video first"
                )
            _raise_longest(session, sightings)
            existing = self._existing_ids(session, [s.sighting_id for s in sightings])
            inserted: list[str] = []
            for s in sightings:
                if s.sighting_id in existing:
                    continue
                existing.add(s.sighting_id)  # a batch holding one id twice stores it once
                session.add(self._row_of(s))
                inserted.append(s.sighting_id)
            session.flush()
        return inserted

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
            for chunk in _chunks(sorted(videos)):
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
            rows = [self._row_values(s) for s in sightings]
            if rows:
                _raise_longest(session, sightings)
                session.execute(insert(SightingRow), rows)
        return len(sightings)

    def _row_values(self, s: Sighting) -> dict[str, object]:
        """The column values of a sighting row, as `_row_of` makes them (for Core inserts)."""
        row = self._row_of(s)
        return {c.key: getattr(row, c.key) for c in SightingRow.__table__.columns}

    def finish_video(self, video_id: str) -> None:
        with self._write() as session:
            row = session.get(VideoRow, video_id)
            if row is None:
                raise InputError(f"unknown video {video_id}: nothing to finish")
            row.status = "done"
            row.finished_at = utc_now()

    def delete_unfinished_video(self, video_id: str) -> int:
        """Remove a video still ``ingesting`` and its sightings; returns sightings removed.

        The face index still holds their vectors until `VectorIndex.reconcile` runs.
        """
        with self._write() as session:
            row = session.get(VideoRow, video_id)
            if row is None:
                return 0
            if row.status == "done":
                raise InputError(
                    f"video {video_id} finished ingesting; it is removed by retention, "
                    "not as an unfinished video"
                )
            gone = delete(SightingRow).where(SightingRow.video_id == video_id)
            n = cast(CursorResult[Any], session.execute(gone)).rowcount
            session.delete(row)
            return int(n)

    # -- cases -------------------------------------------------------------------------

    def create_case(self, case: CaseRecord, references: Sequence[CaseReference]) -> CaseRecord:
        """Store a case and its encrypted reference embeddings in one transaction."""
        if not references:
            raise InputError("a case needs at least one reference photo with a face")
        with self._write() as session:
            if session.get(CaseRow, case.case_id) is not None:
                raise InputError(f"case {case.case_id} already exists")
            row = CaseRow(
                id=case.case_id,
                label=case.label,
                owner_id=case.owner_id,
                consent_given_by=case.consent_given_by,
                consent_date=case.consent_date,
                consent_sha256=case.consent_sha256,
                t_from_s=case.t_from_s,
                t_to_s=case.t_to_s,
                site=case.site,
                camera_ids_json=None
                if case.camera_ids is None
                else json.dumps(list(case.camera_ids)),
                status="open",
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()  # the case row first: the references point at it
            for i, ref in enumerate(references):
                rid = f"{case.case_id}-ref{i}"
                session.add(
                    CaseReferenceRow(
                        id=rid,
                        case_id=case.case_id,
                        photo_sha256=ref.photo_sha256,
                        quality=float(ref.quality),
                        embedding_enc=self.cipher.encrypt_array(
                            np.asarray(ref.embedding, np.float32), rid, "case_reference"
                        ),
                    )
                )
            session.flush()
            return _case_of(row)

    def count_cases(self) -> int:
        """Cases stored, open or closed."""
        with self._sessions() as session:
            return int(session.execute(select(func.count()).select_from(CaseRow)).scalar_one())

    def get_case(self, case_id: str) -> CaseRecord | None:
        with self._sessions() as session:
            row = session.get(CaseRow, case_id)
            return None if row is None else _case_of(row)

    def case_references(self, case_id: str) -> list[CaseReference]:
        with self._sessions() as session:
            rows = session.scalars(
                select(CaseReferenceRow)
                .where(CaseReferenceRow.case_id == case_id)
                .order_by(CaseReferenceRow.id)
            )
            return [
                CaseReference(
                    photo_sha256=r.photo_sha256,
                    quality=r.quality,
                    embedding=self.cipher.decrypt_array(r.embedding_enc, r.id, "case_reference"),
                )
                for r in rows
            ]

    # -- sightings ---------------------------------------------------------------------

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
        stmt = select(*_read_columns(thumb)).order_by(SightingRow.t_start_s, SightingRow.id)
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
                    SightingRow.t_start_s >= t_from_s - _longest(session),
                )
            for row in session.execute(stmt.execution_options(yield_per=500)):
                yield self._sighting_of(row, with_biometrics, thumb)

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
            parts = [keys[i : i + _IN_CHUNK] for i in range(0, len(keys), _IN_CHUNK)]
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
                else _appearance_f16(sid, dec.decrypt_bytes(blob[1], sid, APPEARANCE))
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
                    _start_bounds(params, chunk, _longest_of(found))
                    return raw.execute(_sketch_query(len(chunk)).text, params).fetchall()
                finally:
                    raw.execute("COMMIT")
            with conn.begin():
                _start_bounds(params, chunk, _longest(conn))
                query = _sketch_query(len(chunk), "id")
                return [tuple(r) for r in conn.execute(query, params)]

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
                sketch = _appearance_f16(sid, dec.decrypt_bytes(blob, sid, COLOUR_SKETCH))
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
            for chunk in _chunks(list(sighting_ids)):
                stmt = select(*_read_columns(thumb)).where(SightingRow.id.in_(chunk))
                for row in session.execute(stmt):
                    found[row.id] = self._sighting_of(row, with_biometrics, thumb)
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

    # -- settings ----------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(SettingRow, key)
            return None if row is None else row.value

    def set_setting(self, key: str, value: str, by: str) -> None:
        with self._write() as session:
            _put_setting(session, key, value, by)

    # -- retention -----------------------------------------------------------------------

    def purge_sightings(self, cutoff_s: float | None, dry_run: bool, by: str) -> PurgeCounts:
        """Delete every sighting that started before ``cutoff_s`` (None: every sighting).

        One transaction: all of them go, or none. With ``dry_run`` nothing is written and
        the counts say what would go. The face index is left to the caller (after commit).
        """
        older = SightingRow.t_start_s < cutoff_s if cutoff_s is not None else None
        if dry_run:
            with self._sessions() as session:
                return _purge_counts(session, older)
        with self._write() as session:
            # A write first, so SQLite takes its write lock before the reads below.
            _put_setting(session, "last_purge_at", utc_now().isoformat(), by)
            counts = _purge_counts(session, older)
            if counts.sightings:
                gone = delete(SightingRow)
                if older is not None:
                    gone = gone.where(older)
                session.execute(gone)
        return counts

    def close_case_record(self, case_id: str, summary_json: str) -> int:
        """Destroy a case's reference embeddings and mark it closed, in one transaction.

        Returns the references deleted; a case already closed is left as it is (0).
        """
        with self._write() as session:
            closed = cast(
                CursorResult[Any],
                session.execute(
                    update(CaseRow)
                    .where(CaseRow.id == case_id, CaseRow.status != "closed")
                    .values(status="closed", closed_at=utc_now(), summary_json=summary_json)
                ),
            ).rowcount
            if closed != 1:
                return 0
            gone = delete(CaseReferenceRow).where(CaseReferenceRow.case_id == case_id)
            return int(cast(CursorResult[Any], session.execute(gone)).rowcount)

    def case_summary(self, case_id: str) -> str | None:
        """The summary JSON a closed case keeps (None while it is open)."""
        with self._sessions() as session:
            row = session.get(CaseRow, case_id)
            return None if row is None else row.summary_json

    # -- evidence exports of a case ----------------------------------------------------

    def add_case_export(self, export: CaseExport) -> None:
        """Record where an export of an open case is written (InputError if it is closed)."""
        with self._write() as session:
            case = session.get(CaseRow, export.case_id)
            if case is None or case.status != "open":
                raise InputError(f"case {export.case_id} is closed: nothing can be exported")
            row = CaseExportRow(id=export.export_id, case_id=export.case_id, path=export.path)
            session.add(row)

    def forget_case_export(self, export_id: str) -> None:
        """Drop the record of an export that was never written (its write failed)."""
        with self._write() as session:
            session.execute(delete(CaseExportRow).where(CaseExportRow.id == export_id))

    def case_exports(self, case_id: str) -> list[CaseExport]:
        """Every recorded export of a case, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CaseExportRow)
                .where(CaseExportRow.case_id == case_id)
                .order_by(CaseExportRow.created_at, CaseExportRow.id)
            )
            return [CaseExport(r.id, r.case_id, r.path, r.created_at, r.outcome) for r in rows]

    def settle_case_export(self, export_id: str, outcome: str) -> None:
        """Mark an export as dealt with by a case closure (``destroyed`` or ``gone``)."""
        with self._write() as session:
            session.execute(
                update(CaseExportRow)
                .where(CaseExportRow.id == export_id)
                .values(outcome=outcome, settled_at=utc_now())
            )

    def wipe_free_space(self) -> None:
        """Leave no copy of deleted rows in the database files (SQLite; see `db`)."""
        db.wipe_free_space(self._engine)

    # -- key rotation --------------------------------------------------------------------

    def key_ids_in_use(self) -> dict[str, int]:
        """How many stored blobs (sightings, case references) each key id sealed."""
        counts: dict[str, int] = {}
        columns = [
            SightingRow.face_embedding_enc,
            SightingRow.appearance_enc,
            SightingRow.appearance_colour_enc,
            SightingRow.thumbnail_enc,
            CaseReferenceRow.embedding_enc,
        ]
        with self._sessions() as session:
            for col in columns:
                kid = func.substr(col, 2, 8)
                stmt = select(kid, func.count()).where(col.is_not(None)).group_by(kid)
                for key_id, n in session.execute(stmt):
                    hexed = bytes(key_id).hex()
                    counts[hexed] = counts.get(hexed, 0) + int(n)
        return counts

    def reseal_sightings(self, batch: int = 500) -> Iterator[ResealCounts]:
        """Re-encrypt every sighting blob not sealed with the current key, ``batch`` rows
        per committed transaction; yields running counts after each commit.

        Readers never wait: each batch is short, and every blob stays decryptable (old
        and new keys both decrypt during a rotation). An update is conditional on the
        blob being unchanged, so a row a purge deleted or a writer changed meanwhile is
        skipped, and the caller's check pass finds it.
        """
        cols = (
            SightingRow.face_embedding_enc,
            SightingRow.appearance_enc,
            SightingRow.appearance_colour_enc,
            SightingRow.thumbnail_enc,
        )
        fields = (FACE, APPEARANCE, COLOUR_SKETCH, THUMBNAIL)
        yield from self._reseal(SightingRow.__table__, SightingRow.id, cols, fields, batch)

    def backfill_colour_sketches(self, batch: int = 2000) -> Iterator[ResealCounts]:
        """Give every sighting with an appearance vector and no colour sketch its sketch
        (rows written before schema 0008), ``batch`` rows per committed transaction, in
        the table's storage order (one sequential pass); yields running counts (rows
        looked at, sketches written) after each batch. Resumable: a row that has its
        sketch is skipped. The caller holds the maintenance lock, so that no purge
        renumbers rows during the pass (`maintenance.fill_colour_sketches`)."""
        sqlite = self._engine.dialect.name == "sqlite"
        key: Any = literal_column("rowid") if sqlite else SightingRow.id
        scanned = filled = 0
        last: Any = -1 if sqlite else ""
        while True:
            with self._sessions() as session:
                rows = session.execute(
                    select(
                        key,
                        SightingRow.id,
                        SightingRow.appearance_enc,
                        SightingRow.appearance_colour_enc.is_(None),
                    )
                    .where(key > last)
                    .order_by(key)
                    .limit(batch)
                ).all()
            if not rows:
                return
            last = rows[-1][0]
            scanned += len(rows)
            values = []
            for rkey, sid, blob, missing in rows:
                if blob is None or not missing:
                    continue
                vector = decode_appearance(sid, self.cipher.decrypt_bytes(blob, sid, APPEARANCE))
                sealed = _sealed_sketch(self.cipher, sid, vector)
                if sealed is not None:
                    values.append({"k": rkey, "sid": sid, "sketch": sealed})
            if values:
                table: Any = SightingRow.__table__
                where: list[Any] = [
                    table.c.id == bindparam("sid"),
                    table.c.appearance_colour_enc.is_(None),
                ]
                if sqlite:  # the row itself, not a look-up through the id index
                    where.append(text("rowid = :k"))
                with self._write() as session:
                    session.execute(
                        update(table)
                        .where(*where)
                        .values(appearance_colour_enc=bindparam("sketch")),
                        values,
                    )
                filled += len(values)
            yield ResealCounts(scanned=scanned, resealed=filled)

    def reseal_case_references(self, batch: int = 500) -> Iterator[ResealCounts]:
        """`reseal_sightings` for the cases' reference embeddings."""
        cols = (CaseReferenceRow.embedding_enc,)
        yield from self._reseal(
            CaseReferenceRow.__table__, CaseReferenceRow.id, cols, ("case_reference",), batch
        )

    def _reseal(
        self,
        table: Any,
        id_col: Any,
        cols: tuple[Any, ...],
        fields: tuple[str, ...],
        batch: int,
    ) -> Iterator[ResealCounts]:
        scanned = resealed = 0
        last = ""
        while True:
            active = self.cipher.key_id
            with self._sessions() as session:
                rows = session.execute(
                    select(id_col, *cols).where(id_col > last).order_by(id_col).limit(batch)
                ).all()
            if not rows:
                return
            last = rows[-1][0]
            scanned += len(rows)
            changes: list[tuple[str, dict[str, bytes], dict[str, bytes]]] = []
            for rid, *blobs in rows:
                old: dict[str, bytes] = {}
                new: dict[str, bytes] = {}
                for col, fld, blob in zip(cols, fields, blobs, strict=True):
                    if blob is None or blob_key_id(blob) == active:
                        continue
                    plain = self.cipher.decrypt_bytes(blob, rid, fld)
                    old[col.key] = blob
                    new[col.key] = self.cipher.encrypt_bytes(plain, rid, fld)
                if new:
                    changes.append((rid, old, new))
            if changes:
                with self._write() as session:
                    for rid, old, new in changes:
                        same = [table.c[k] == v for k, v in old.items()]
                        session.execute(
                            update(table).where(table.c[id_col.key] == rid, *same).values(new)
                        )
                resealed += len(changes)
            yield ResealCounts(scanned=scanned, resealed=resealed)

    # -- row <-> record ----------------------------------------------------------------

    @staticmethod
    def _existing_ids(session: Session, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(ids):
            found.update(session.scalars(select(SightingRow.id).where(SightingRow.id.in_(chunk))))
        return found

    def _row_of(self, s: Sighting) -> SightingRow:
        enc = self.cipher
        sid = s.sighting_id
        return SightingRow(
            id=sid,
            video_id=s.video_id,
            camera_id=s.camera_id,
            track_id=int(s.track_id),
            t_start_s=float(s.t_start_s),
            t_end_s=float(s.t_end_s),
            day=utc_day(s.t_start_s),
            path_json=None,
            path_bin=encode_path(s),
            path_approximate=bool(s.path_approximate),
            face_count=int(s.face_count),
            face_quality=float(s.face_quality),
            mask_ratio=None if s.mask_ratio is None else float(s.mask_ratio),
            face_embedding_enc=None
            if s.face_embedding is None
            else enc.encrypt_array(s.face_embedding, sid, FACE),
            appearance_enc=None
            if s.appearance is None
            else enc.encrypt_bytes(encode_appearance(s.appearance), sid, APPEARANCE),
            appearance_colour_enc=_sealed_sketch(enc, sid, s.appearance),
            thumbnail_enc=None
            if s.thumbnail_jpeg is None
            else enc.encrypt_bytes(s.thumbnail_jpeg, sid, THUMBNAIL),
            created_at=utc_now(),
        )

    def _sighting_of(self, row: Any, with_biometrics: bool, with_thumbnail: bool) -> Sighting:
        """A `Sighting` from a row of `_read_columns` (or a `SightingRow`)."""
        t_s, xy_m, box_xyxy = decode_path(row.id, row.path_bin, row.path_json)
        face = appearance = None
        thumb = None
        if with_biometrics:
            dec = self.cipher
            if row.face_embedding_enc is not None:
                face = dec.decrypt_array(row.face_embedding_enc, row.id, FACE)
            if row.appearance_enc is not None:
                appearance = decode_appearance(
                    row.id, dec.decrypt_bytes(row.appearance_enc, row.id, APPEARANCE)
                )
            if with_thumbnail and row.thumbnail_enc is not None:
                thumb = dec.decrypt_bytes(row.thumbnail_enc, row.id, THUMBNAIL)
        return Sighting(
            sighting_id=row.id,
            camera_id=row.camera_id,
            video_id=row.video_id,
            track_id=row.track_id,
            t_start_s=row.t_start_s,
            t_end_s=row.t_end_s,
            path_t_s=t_s,
            path_floor_xy_m=xy_m,
            path_approximate=row.path_approximate,
            face_count=row.face_count,
            face_quality=row.face_quality,
            face_embedding=face,
            appearance=appearance,
            mask_ratio=row.mask_ratio,
            thumbnail_jpeg=thumb,
            path_box_xyxy=box_xyxy,
        )


def _purge_counts(session: Session, older: Any) -> PurgeCounts:
    blob_len = (
        func.coalesce(func.length(SightingRow.face_embedding_enc), 0)
        + func.coalesce(func.length(SightingRow.appearance_enc), 0)
        + func.coalesce(func.length(SightingRow.appearance_colour_enc), 0)
        + func.coalesce(func.length(SightingRow.thumbnail_enc), 0)
    )
    stmt = select(
        SightingRow.day,
        func.count(),
        func.count(SightingRow.face_embedding_enc),
        func.coalesce(func.sum(blob_len), 0),
    ).group_by(SightingRow.day)
    if older is not None:
        stmt = stmt.where(older)
    days: dict[str, int] = {}
    total = blob_bytes = 0
    for day, n, faces, nbytes in session.execute(stmt):
        days[str(day)] = int(faces)
        total += int(n)
        blob_bytes += int(nbytes)
    return PurgeCounts(sightings=total, blob_bytes=blob_bytes, faces_by_day=days)


def _raise_longest(session: Session, sightings: Sequence[Sighting]) -> None:
    """Raise the `LONGEST_SIGHTING` setting to the longest of ``sightings`` if they hold
    a longer one: one conditional UPDATE, no read, in the inserting transaction (so a
    reader that sees a row sees a bound that covers it)."""
    if not sightings:
        return
    longest = max(float(s.t_end_s - s.t_start_s) for s in sightings)
    session.execute(
        update(SettingRow)
        .where(
            SettingRow.key == LONGEST_SIGHTING,
            cast_(SettingRow.value, Double()) < longest,
        )
        .values(value=repr(longest), updated_at=utc_now(), updated_by="ingestion")
    )


def _longest(conn: Session | Connection) -> float:
    """The longest stored sighting (`LONGEST_SIGHTING`), read in ``conn``'s transaction."""
    return _longest_of(
        conn.execute(select(SettingRow.value).where(SettingRow.key == LONGEST_SIGHTING)).first()
    )


def _longest_of(found: Any) -> float:
    """A `LONGEST_SIGHTING` row's value; without one (a store whose schema 0008 did not
    set it), the longest any sighting may last."""
    return MAX_SIGHTING_S if found is None else float(found[0])


def _start_bounds(
    params: dict[str, object], chunk: Sequence[tuple[str, float, float]], longest: float
) -> None:
    """The earliest start of a sighting overlapping each span of ``chunk``."""
    for i, (_, lo, _) in enumerate(chunk):
        params[f"b{i}"] = lo - longest


def _put_setting(session: Session, key: str, value: str, by: str) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value, updated_at=utc_now(), updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, utc_now(), by
    session.flush()


_PATH_MAGIC = b"cP1"
_PATH_HEADER = struct.Struct("<3sBI")  # magic, flags (bit 0: boxes), K points
_F16_MAGIC = b"f2\xc0\x7f"
"""Leads a float16 appearance payload. As a little-endian float32 it is a NaN, which no
stored vector holds (checked on write), so the older float32 payloads stay readable."""


def encode_path(s: Sighting) -> bytes:
    """A sighting's floor path as bytes: header, K float64 times, K x 2 float32 metres,
    then (if any) K x 4 float32 pixel boxes, all little-endian. Decoding is one
    ``frombuffer`` per array, some 50x faster than the JSON of schema 0001-0004."""
    t = np.asarray(s.path_t_s, "<f8").reshape(-1)
    xy = np.asarray(s.path_floor_xy_m, "<f4").reshape(-1, 2)
    if len(t) != len(xy):
        raise ValueError(f"sighting {s.sighting_id}: {len(t)} path times but {len(xy)} points")
    parts = [_PATH_HEADER.pack(_PATH_MAGIC, 0 if s.path_box_xyxy is None else 1, len(t))]
    parts += [t.tobytes(), xy.tobytes()]
    if s.path_box_xyxy is not None:
        box = np.asarray(s.path_box_xyxy, "<f4").reshape(-1, 4)
        if len(box) != len(t):
            raise ValueError(f"sighting {s.sighting_id}: {len(t)} path times but {len(box)} boxes")
        parts.append(box.round(1).tobytes())
    return b"".join(parts)


def decode_path(
    sighting_id: str, path_bin: bytes | None, path_json: str | None
) -> tuple[NDArray[np.float64], NDArray[np.float32], NDArray[np.float32] | None]:
    """(times, floor points, boxes or None) of a stored path, binary or (older rows) JSON."""
    if path_bin is not None:
        try:
            magic, flags, k = _PATH_HEADER.unpack_from(path_bin, 0)
            if magic != _PATH_MAGIC:
                raise ValueError("bad magic")
            pos = _PATH_HEADER.size
            t = np.frombuffer(path_bin, "<f8", k, pos).astype(np.float64)
            pos += 8 * k
            xy = np.frombuffer(path_bin, "<f4", 2 * k, pos).reshape(k, 2).astype(np.float32)
            pos += 8 * k
            box = None
            if flags & 1:
                box = np.frombuffer(path_bin, "<f4", 4 * k, pos).reshape(k, 4).astype(np.float32)
        except (ValueError, struct.error):
            raise CorruptDataError(
                f"the stored path of sighting {sighting_id} is damaged: restore the database "
                "from a backup, or ingest its video again"
            ) from None
        return t, xy, box
    if path_json is None:
        raise CorruptDataError(f"sighting {sighting_id} has no stored path")
    doc = json.loads(path_json)
    return (
        np.asarray(doc["t_s"], np.float64).reshape(-1),
        np.asarray(doc["xy_m"], np.float32).reshape(-1, 2),
        np.asarray(doc["box_xyxy"], np.float32).reshape(-1, 4) if "box_xyxy" in doc else None,
    )


def encode_appearance(vector: FloatArray) -> bytes:
    """An appearance vector as stored: float16 behind `_F16_MAGIC` (half the bytes of
    float32; cosine similarities move by well under 1e-3, see docs/benchmarks.md)."""
    v = np.asarray(vector, np.float32).reshape(-1)
    if not np.all(np.isfinite(v)):
        raise ValueError("appearance vectors must be finite")
    return _F16_MAGIC + v.astype("<f2").tobytes()


def colour_sketch(appearance: FloatArray | None) -> FloatArray | None:
    """The screening sketch of an appearance vector: its colour part (the last
    `APPEARANCE_COLOUR_DIM` numbers), or None where the vector has another layout."""
    if appearance is None:
        return None
    v = np.asarray(appearance).reshape(-1)
    if len(v) != APPEARANCE_CNN_DIM + APPEARANCE_COLOUR_DIM:
        return None
    return v[APPEARANCE_CNN_DIM:].astype(np.float32)


def _sealed_sketch(cipher: Cipher, sighting_id: str, appearance: FloatArray | None) -> bytes | None:
    """`colour_sketch`, stored as appearance vectors are (float16), encrypted."""
    sketch = colour_sketch(appearance)
    if sketch is None:
        return None
    return cipher.encrypt_bytes(encode_appearance(sketch), sighting_id, COLOUR_SKETCH)


def _appearance_f16(sighting_id: str, raw: bytes) -> NDArray[np.float16]:
    """A stored appearance vector as float16 (screening precision): float16 rows as they
    are (no copy), older float32 rows rounded (cosines move by about 1e-4)."""
    return _stored_appearance(sighting_id, raw).astype(np.float16, copy=False)


def decode_appearance(sighting_id: str, raw: bytes) -> FloatArray:
    return _stored_appearance(sighting_id, raw).astype(np.float32)


def _stored_appearance(sighting_id: str, raw: bytes) -> NDArray[np.floating[Any]]:
    """The vector in a decrypted appearance blob, as stored: float16 behind the marker,
    else float32 (rows written before float16 storage)."""
    if raw[:4] == _F16_MAGIC:
        body = raw[4:]
        if len(body) % 2:
            raise CorruptDataError(f"appearance of sighting {sighting_id} is damaged")
        return np.frombuffer(body, "<f2")
    if len(raw) % 4:
        raise CorruptDataError(f"appearance of sighting {sighting_id} is not a float32 vector")
    return np.frombuffer(raw, "<f4")


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
    for start in range(0, len(rowids), _IN_CHUNK):
        part = rowids[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(part))
        query = f"SELECT rowid, id, appearance_enc FROM sightings WHERE rowid IN ({marks})"
        for rowid, sid, blob in conn.execute(query, part):
            out[rowid] = (sid, blob)
    return out


def _rows_by_id(conn: Any, ids: Sequence[str]) -> dict[str, tuple[str, bytes | None]]:
    """`_rows_by_rowid` for other databases: by primary key."""
    out: dict[str, tuple[str, bytes | None]] = {}
    for part in _chunks(list(ids)):
        stmt = select(SightingRow.id, SightingRow.appearance_enc).where(SightingRow.id.in_(part))
        for sid, blob in conn.execute(stmt):
            out[sid] = (sid, blob)
    return out


def _read_columns(with_thumbnail: bool) -> list[Any]:
    """The sighting columns a read needs: the thumbnail (the largest blob) only if asked."""
    skip = {"created_at"} if with_thumbnail else {"created_at", "thumbnail_enc"}
    return [c for c in SightingRow.__table__.columns if c.key not in skip]


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


def _case_of(row: CaseRow) -> CaseRecord:
    status: Literal["open", "closed"] = "closed" if row.status == "closed" else "open"
    return CaseRecord(
        case_id=row.id,
        owner_id=row.owner_id,
        label=row.label,
        consent_given_by=row.consent_given_by,
        consent_date=row.consent_date,
        consent_sha256=row.consent_sha256,
        t_from_s=row.t_from_s,
        t_to_s=row.t_to_s,
        site=row.site,
        camera_ids=None if row.camera_ids_json is None else tuple(json.loads(row.camera_ids_json)),
        status=status,
        created_at=row.created_at,
    )


def _camera_of(row: CameraRow) -> CameraRecord:
    return CameraRecord(
        camera_id=row.id,
        name=row.name,
        site=row.site,
        lat=row.lat,
        lon=row.lon,
        x_m=row.x_m,
        y_m=row.y_m,
        calibration_json=row.calibration_json,
        reprojection_error_m=row.reprojection_error_m,
        created_at=row.created_at,
    )


def _video_of(row: VideoRow) -> VideoRecord:
    status: Literal["ingesting", "done"] = "done" if row.status == "done" else "ingesting"
    return VideoRecord(
        video_id=row.id,
        camera_id=row.camera_id,
        path=row.path,
        start_utc=row.start_utc,
        duration_s=row.duration_s,
        fps=row.fps,
        width=row.width,
        height=row.height,
        status=status,
        checkpoint_t_s=row.checkpoint_t_s,
        next_track_id=row.next_track_id,
        frames_analysed=row.frames_analysed,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


__all__ = ["APPEARANCE", "FACE", "THUMBNAIL", "Store", "utc_day"]
