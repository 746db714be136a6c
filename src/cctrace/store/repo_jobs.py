"""Jobs of the API's worker processes: recorded first, so a restart finds them."""

from __future__ import annotations

from sqlalchemy import select, update

from cctrace.store.base import StoreBase
from cctrace.store.models import JobRow, utc_now
from cctrace.store.records import JobRecord, JobState


class JobsRepo(StoreBase):
    def add_job(
        self, job_id: str, kind: str, owner_id: str, case_id: str | None, params: str
    ) -> JobRecord:
        with self._write() as session:
            now = utc_now()
            row = JobRow(
                id=job_id,
                kind=kind,
                owner_id=owner_id,
                case_id=case_id,
                state="queued",
                progress=0.0,
                params_json=params,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _job_of(row)

    def get_job(self, job_id: str) -> JobRecord | None:
        with self._sessions() as session:
            row = session.get(JobRow, job_id)
            return None if row is None else _job_of(row)

    def unfinished_jobs(self) -> list[JobRecord]:
        """Jobs left queued or running (by a server that stopped), oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(JobRow)
                .where(JobRow.state.in_(("queued", "running")))
                .order_by(JobRow.created_at, JobRow.id)
            )
            return [_job_of(r) for r in rows]

    def update_job(
        self,
        job_id: str,
        *,
        state: JobState | None = None,
        progress: float | None = None,
        result_json: str | None = None,
        error: str | None = None,
        started: bool = False,
        stage: str | None = None,
    ) -> None:
        values: dict[str, object] = {"updated_at": utc_now()}
        if state is not None:
            values["state"] = state
        if progress is not None:
            values["progress"] = max(0.0, min(1.0, progress))
        if result_json is not None:
            values["result_json"] = result_json
        if error is not None:
            values["error"] = error
        if stage is not None:
            values["stage"] = stage
        if started:
            values["attempts"] = JobRow.attempts + 1
        with self._write() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))


def _job_of(r: JobRow) -> JobRecord:
    state: JobState = r.state  # type: ignore[assignment]  # the column only holds these
    return JobRecord(
        job_id=r.id,
        kind=r.kind,
        owner_id=r.owner_id,
        case_id=r.case_id,
        state=state,
        progress=r.progress,
        params_json=r.params_json,
        result_json=r.result_json,
        error=r.error,
        attempts=r.attempts,
        created_at=r.created_at,
        updated_at=r.updated_at,
        stage=r.stage,
    )
