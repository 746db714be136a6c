"""Traces of a case (its investigator): run one (saved as a trace run), list, read."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from cctrace.api.deps import CtxDep, RunnerDep, action
from cctrace.schemas import JobStartedOut, TraceOut, TraceRunsOut
from cctrace.services import jobs, traces

router = APIRouter(tags=["traces"])

PolicyName = Literal["kdca-2022", "cdc-2020", "who-2020"]
"""`cctrace.config.POLICIES` (a test keeps the two equal)."""


class TraceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: PolicyName | None = None
    """The contact policy (default kdca-2022)."""


@router.post(
    "/cases/{case_id}/traces",
    status_code=201,
    response_model=TraceOut,
    summary="Trace the patient: route and contacts, saved as a trace run",
    openapi_extra=action("trace"),
)
def trace(case_id: str, ctx: CtxDep, body: TraceIn | None = None) -> TraceOut:
    return traces.trace(ctx, [case_id], None if body is None else body.policy)[0]


@router.post(
    "/cases/{case_id}/trace-jobs",
    status_code=202,
    response_model=JobStartedOut,
    summary="Trace the patient as a job: poll GET /api/v1/jobs/{job_id} for its stage and result",
    openapi_extra=action("trace"),
)
def trace_job(
    case_id: str, ctx: CtxDep, runner: RunnerDep, body: TraceIn | None = None
) -> JobStartedOut:
    out = jobs.start_trace(ctx, case_id, None if body is None else body.policy)
    if runner is not None:
        runner.submit(out.job_id)
    return out


@router.get(
    "/cases/{case_id}/traces",
    response_model=TraceRunsOut,
    summary="The case's saved trace runs, oldest first",
    openapi_extra=action("view_case"),
)
def list_traces(case_id: str, ctx: CtxDep) -> TraceRunsOut:
    return traces.list_traces(ctx, case_id)


@router.get(
    "/cases/{case_id}/traces/{trace_id}",
    response_model=TraceOut,
    summary="A saved trace run, exactly as the trace answered",
    openapi_extra=action("trace"),
)
def get_trace(case_id: str, trace_id: str, ctx: CtxDep) -> TraceOut:
    return traces.get_trace(ctx, case_id, trace_id)
