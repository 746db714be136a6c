"""Evidence exports of a case (its investigator): start one as a job, download its files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, RunnerDep, action
from cctrace.schemas import JobStartedOut
from cctrace.services import evidence, jobs

router = APIRouter(tags=["evidence"])

MEDIA_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".json": "application/json"}


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trace_id: str | None = Field(
        default=None, description="The saved trace run (default: the latest)."
    )
    clips: bool = Field(default=False, description="Also write short MP4 clips.")
    unblur: str | None = Field(default=None, description="A contact id whose face is left clear.")
    reason: str | None = Field(default=None, description="Why the contact is unblurred (audited).")


@router.post(
    "/cases/{case_id}/evidence",
    status_code=202,
    response_model=JobStartedOut,
    summary="Export redacted evidence of a saved trace run, as a job; its result lists the files",
    openapi_extra=action("export_evidence"),
)
def start_evidence(
    case_id: str, ctx: CtxDep, runner: RunnerDep, body: EvidenceIn | None = None
) -> JobStartedOut:
    b = body or EvidenceIn()
    out = jobs.start_evidence(ctx, case_id, b.trace_id, b.clips, b.unblur, b.reason)
    if runner is not None:
        runner.submit(out.job_id)
    return out


_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One file of the export, as its manifest.json lists it",
        "content": {
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "video/mp4": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


@router.get(
    "/cases/{case_id}/evidence/{export_id}/{file}",
    response_class=FileResponse,
    responses=_FILE,
    summary="Download a file of one of your evidence exports",
    openapi_extra=action("export_evidence"),
)
def evidence_file(case_id: str, export_id: str, file: str, ctx: CtxDep) -> FileResponse:
    path = evidence.evidence_file(ctx, case_id, export_id, file)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        filename=path.name,
    )
