"""POST /api/v1/footage (admin, ingest): upload a video; it is indexed by a job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from cctrace.api.deps import CtxDep, RunnerDep, action
from cctrace.api.uploads import UploadRoute, upload_name, upload_path
from cctrace.schemas import JobStartedOut
from cctrace.services import jobs

router = APIRouter(tags=["footage"], route_class=UploadRoute)


@router.post(
    "/footage",
    status_code=202,
    response_model=JobStartedOut,
    summary="Upload a video of one camera; poll GET /api/v1/jobs/{job_id} for the result",
    openapi_extra=action("add_footage"),
)
def upload_footage(
    ctx: CtxDep,
    runner: RunnerDep,
    file: Annotated[UploadFile, File(description="The video (mp4, avi, mkv, ...).")],
    camera_id: Annotated[str, Form(description="The camera that recorded it.")],
    start: Annotated[
        str | None,
        Form(description="Recording start, ISO 8601 (default: the file's creation time)."),
    ] = None,
) -> JobStartedOut:
    out = jobs.start_ingest(ctx, upload_path(file), upload_name(file), camera_id, start)
    if runner is not None:
        runner.submit(out.job_id)
    return out
