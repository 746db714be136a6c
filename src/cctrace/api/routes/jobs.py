"""GET /api/v1/jobs/{job_id}: a job's state, for the user who started it only."""

from __future__ import annotations

from fastapi import APIRouter

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import JobOut
from cctrace.services import jobs

router = APIRouter(tags=["jobs"])


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="A job you started: state, progress, and its result or error",
    openapi_extra=action("view_job"),
)
def get_job(job_id: str, ctx: CtxDep) -> JobOut:
    return jobs.get_job(ctx, job_id)
