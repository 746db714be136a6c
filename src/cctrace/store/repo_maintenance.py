"""Maintenance writes that sweep the whole store: the retention purge, wiping freed
pages, and re-encrypting blobs for a key rotation or a schema upgrade.

Each sweep runs in short committed batches, so readers never wait on it. The lock that
keeps two sweeps apart is `maintenance.maintenance_lock`; the callers (`maintenance`,
the retention policy) order the steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import bindparam, delete, func, literal_column, select, text, update
from sqlalchemy.orm import Session

from cctrace.store import db
from cctrace.store.base import StoreBase
from cctrace.store.codecs import (
    APPEARANCE,
    COLOUR_SKETCH,
    FACE,
    THUMBNAIL,
    decode_appearance,
    sealed_sketch,
)
from cctrace.store.crypto import blob_key_id
from cctrace.store.models import CaseReferenceRow, SightingRow, utc_now
from cctrace.store.records import PurgeCounts, ResealCounts
from cctrace.store.repo_settings import put_setting

COLOUR_SKETCH_BACKFILL = "colour_sketch_backfill"  # setting: schema 0008 left rows to fill
SEALED_TABLES = ("sightings", "case_references", "trace_runs")
"""The tables holding encrypted biometrics or what was derived from them."""


class MaintenanceRepo(StoreBase):
    # -- retention ---------------------------------------------------------------------

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
            put_setting(session, "last_purge_at", utc_now().isoformat(), by)
            counts = _purge_counts(session, older)
            if counts.sightings:
                gone = delete(SightingRow)
                if older is not None:
                    gone = gone.where(older)
                session.execute(gone)
        return counts

    def wipe_free_space(self) -> None:
        """Leave no copy of deleted rows in the database files (see `db.wipe_free_space`)."""
        db.wipe_free_space(self._engine, SEALED_TABLES)

    def rewrite_sealed_tables(self) -> None:
        """PostgreSQL: rewrite the tables of sealed blobs, so that the row versions a key
        rotation replaced leave the files (see `db.rewrite_tables`); no-op on SQLite."""
        db.rewrite_tables(self._engine, SEALED_TABLES)

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
                sealed = sealed_sketch(self.cipher, sid, vector)
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
        """Reseal ``cols`` (blobs bound to ``fields``) of ``table`` with the active key,
        ``batch`` rows per transaction in ``id_col`` order; running counts per batch."""
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
