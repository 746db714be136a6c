"""Saved trace runs: counts in clear, the result (route and contacts) sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from cctrace.core.errors import InputError
from cctrace.store.base import StoreBase
from cctrace.store.crypto import blob_key_id
from cctrace.store.models import CaseRow, TraceRunRow, utc_now
from cctrace.store.records import TraceRunRecord

_FIELD = "trace_result"
"""Part of the sealed blob's associated data: renaming it orphans stored results."""


class TraceRunsRepo(StoreBase):
    def add_trace_run(self, run: TraceRunRecord) -> TraceRunRecord:
        """Store a run of an open case, its result sealed (InputError if the case closed)."""
        if run.result_json is None:
            raise ValueError("a trace run is saved with its result")
        with self._write() as session:
            case = session.get(CaseRow, run.case_id)
            if case is None or case.status != "approved":
                raise InputError(
                    f"case {run.case_id} is {'gone' if case is None else case.status}: only "
                    "an approved case's trace is saved"
                )
            session.add(
                TraceRunRow(
                    id=run.trace_id,
                    case_id=run.case_id,
                    policy=run.policy,
                    settings_json=run.settings_json,
                    created_at=run.created_at,
                    created_by=run.created_by,
                    stays=run.stays,
                    contacts=run.contacts,
                    high_risk_contacts=run.high_risk_contacts,
                    face_threshold=run.face_threshold,
                    faces_searched=run.faces_searched,
                    elapsed_s=run.elapsed_s,
                    result_sha256=run.result_sha256,
                    result_enc=self.cipher.encrypt_bytes(
                        run.result_json.encode(), run.trace_id, _FIELD
                    ),
                )
            )
        return run

    def trace_runs(self, case_id: str) -> list[TraceRunRecord]:
        """Every run of a case, oldest first, without their results."""
        with self._sessions() as session:
            rows = session.scalars(
                select(TraceRunRow)
                .where(TraceRunRow.case_id == case_id)
                .order_by(TraceRunRow.created_at, TraceRunRow.id)
            )
            return [_run_of(r, None) for r in rows]

    def trace_run(self, trace_id: str) -> TraceRunRecord | None:
        """One run with its result opened (``result_json`` None once destroyed)."""
        with self._sessions() as session:
            row = session.get(TraceRunRow, trace_id)
            if row is None:
                return None
            result = (
                None
                if row.result_enc is None
                else self.cipher.decrypt_bytes(row.result_enc, row.id, _FIELD).decode()
            )
            return _run_of(row, result)

    def destroy_trace_results(
        self, case_id: str | None = None, created_before: datetime | None = None
    ) -> int:
        """Empty the sealed results of a case's runs, or of runs made before a time (the
        retention purge); the counts stay. Returns the results destroyed."""
        if case_id is None and created_before is None:
            raise ValueError("name a case or a time")
        stmt = update(TraceRunRow).where(TraceRunRow.result_enc.is_not(None))
        if case_id is not None:
            stmt = stmt.where(TraceRunRow.case_id == case_id)
        if created_before is not None:
            stmt = stmt.where(TraceRunRow.created_at < created_before)
        with self._write() as session:
            done = session.execute(stmt.values(result_enc=None, destroyed_at=utc_now()))
            return int(cast(CursorResult[Any], done).rowcount)

    def count_trace_results(self, created_before: datetime) -> int:
        """Runs made before a time that still hold their result."""
        with self._sessions() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(TraceRunRow)
                    .where(
                        TraceRunRow.result_enc.is_not(None),
                        TraceRunRow.created_at < created_before,
                    )
                ).scalar_one()
            )

    def trace_result_key_ids(self) -> set[str]:
        """Ids of the keys that seal stored trace results (key rotation checks them)."""
        with self._sessions() as session:
            blobs = session.scalars(
                select(TraceRunRow.result_enc).where(TraceRunRow.result_enc.is_not(None))
            )
            return {k for b in blobs if b is not None and (k := blob_key_id(b)) is not None}

    def reseal_trace_results(self) -> int:
        """Re-encrypt every stored trace result not under the current key; how many.

        Results are few (one per trace of an open case), so one pass reads them all."""
        done = 0
        with self._write() as session:
            for row in session.scalars(
                select(TraceRunRow).where(TraceRunRow.result_enc.is_not(None))
            ):
                assert row.result_enc is not None
                if blob_key_id(row.result_enc) == self.cipher.key_id:
                    continue
                clear = self.cipher.decrypt_bytes(row.result_enc, row.id, _FIELD)
                row.result_enc = self.cipher.encrypt_bytes(clear, row.id, _FIELD)
                done += 1
        return done


def _run_of(r: TraceRunRow, result_json: str | None) -> TraceRunRecord:
    return TraceRunRecord(
        trace_id=r.id,
        case_id=r.case_id,
        policy=r.policy,
        settings_json=r.settings_json,
        created_at=r.created_at,
        created_by=r.created_by,
        stays=r.stays,
        contacts=r.contacts,
        high_risk_contacts=r.high_risk_contacts,
        face_threshold=r.face_threshold,
        faces_searched=r.faces_searched,
        elapsed_s=r.elapsed_s,
        result_sha256=r.result_sha256,
        destroyed_at=r.destroyed_at,
        result_json=result_json,
    )
