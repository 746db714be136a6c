"""Cases: the consented search a patient's trace runs under, its encrypted reference
embeddings, the evidence exports written for it, and the record it leaves once closed.

Closing destroys the reference embeddings and keeps only a summary; the exports are
recorded first so that a closure can find and destroy every copy written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, cast

import numpy as np
from sqlalchemy import CursorResult, delete, func, select, update

from cctrace.core.errors import InputError
from cctrace.store.base import StoreBase
from cctrace.store.models import CaseExportRow, CaseReferenceRow, CaseRow, utc_now
from cctrace.store.records import CaseExport, CaseRecord, CaseReference, CaseStatus


class CasesRepo(StoreBase):
    # -- cases and their references ----------------------------------------------------

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
                status="pending",
                created_at=utc_now(),
                diagnosis_ref=case.diagnosis_ref,
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

    def cases_of(self, owner_id: str, status: CaseStatus | None = None) -> list[CaseRecord]:
        """An investigator's cases (of one status, or all), newest first."""
        query = select(CaseRow).where(CaseRow.owner_id == owner_id)
        if status is not None:
            query = query.where(CaseRow.status == status)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(CaseRow.created_at.desc(), CaseRow.id))
            return [_case_of(r) for r in rows]

    def all_cases(self, status: CaseStatus | None = None) -> list[CaseRecord]:
        """Every case (of one status, or all), newest first: what a supervisor reviews."""
        query = select(CaseRow)
        if status is not None:
            query = query.where(CaseRow.status == status)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(CaseRow.created_at.desc(), CaseRow.id))
            return [_case_of(r) for r in rows]

    def cases_opened_before(self, cutoff: datetime) -> list[CaseRecord]:
        """Cases still pending or approved that were opened before ``cutoff``, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(CaseRow)
                .where(CaseRow.status.in_(("pending", "approved")), CaseRow.created_at < cutoff)
                .order_by(CaseRow.created_at, CaseRow.id)
            )
            return [_case_of(r) for r in rows]

    def decide_case(
        self, case_id: str, decision: Literal["approved", "rejected"], by: str, reason: str
    ) -> int:
        """Record a supervisor's decision on a pending case, in one transaction; a rejected
        case's reference faces are destroyed with it (it can never be traced).

        Returns the references destroyed; InputError when the case is no longer pending."""
        with self._write() as session:
            done = cast(
                CursorResult[Any],
                session.execute(
                    update(CaseRow)
                    .where(CaseRow.id == case_id, CaseRow.status == "pending")
                    .values(
                        status=decision, decided_by=by, decided_at=utc_now(), decision_reason=reason
                    )
                ),
            ).rowcount
            if done != 1:
                row = session.get(CaseRow, case_id)
                now = "gone" if row is None else row.status
                raise InputError(
                    f"case {case_id} is {now}, not pending: only a pending case is approved "
                    "or rejected"
                )
            if decision == "approved":
                return 0
            gone = delete(CaseReferenceRow).where(CaseReferenceRow.case_id == case_id)
            return int(cast(CursorResult[Any], session.execute(gone)).rowcount)

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

    # -- closing a case ----------------------------------------------------------------

    def close_case_record(
        self,
        case_id: str,
        summary_json: str,
        reason: str = "closed",
        withdrawal_reason: str | None = None,
    ) -> int:
        """Destroy a case's reference embeddings and mark it closed, in one transaction.

        ``reason``: closed, withdrawn or expired. Returns the references deleted; a case
        already closed is left as it is (0).
        """
        with self._write() as session:
            closed = cast(
                CursorResult[Any],
                session.execute(
                    update(CaseRow)
                    .where(CaseRow.id == case_id, CaseRow.status != "closed")
                    .values(
                        status="closed",
                        closed_at=utc_now(),
                        summary_json=summary_json,
                        closed_reason=reason,
                        withdrawal_reason=withdrawal_reason,
                    )
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
            if case is None or case.status != "approved":
                raise InputError(
                    f"case {export.case_id} is {'gone' if case is None else case.status}: "
                    "only an approved case can be exported"
                )
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


_STATUSES: dict[str, CaseStatus] = {
    "pending": "pending",
    "approved": "approved",
    "rejected": "rejected",
    "closed": "closed",
}


def _case_of(row: CaseRow) -> CaseRecord:
    status = _STATUSES.get(row.status)
    if status is None:
        raise InputError(f"case {row.id} has an unknown status {row.status!r}")
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
        diagnosis_ref=row.diagnosis_ref,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        closed_at=row.closed_at,
        closed_reason=row.closed_reason,
        withdrawal_reason=row.withdrawal_reason,
    )
