"""One case's page (its investigator only): trace, route on the map, contacts, evidence,
reports, closing. Each action is the service's; refusals come from `authorize`.

htmx updates parts of the page in place (the trace's results, an evidence job's progress);
without scripts every form still works as a plain POST followed by the page again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse
from starlette.responses import RedirectResponse, Response

from cctrace.config import POLICIES
from cctrace.core.errors import InputError, NotFoundError
from cctrace.schemas import CaseDetailOut, EvidenceExportOut, JobOut, TraceOut
from cctrace.services import cameras, cases, evidence, jobs, reports, traces
from cctrace.services.auth import Context
from cctrace.web.deps import InvestigatorDep, Signed, WebDep, investigator
from cctrace.web.views import TraceView, trace_view

router = APIRouter(prefix="/cases/{case_id}", dependencies=[Depends(investigator)])

DEFAULT_POLICY = next(iter(POLICIES))
MEDIA_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".json": "application/json"}


@dataclass(frozen=True)
class CasePage:
    case: CaseDetailOut
    view: TraceView | None
    exports: list[EvidenceExportOut]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _load(ctx: Context, case_id: str) -> CasePage:
    case = cases.get_case(ctx, case_id)
    view, exports = None, []
    if case.status == "approved":  # before approval nothing was traced or exported
        last = case.last_trace
        if last is not None and not last.result_destroyed:
            trace: TraceOut = traces.get_trace(ctx, case_id, last.trace_id)
            view = trace_view(trace, cameras.list_cameras(ctx).cameras)
        exports = list(reversed(evidence.list_exports(ctx, case_id).exports))
    return CasePage(case, view, exports)


def _page(
    request: Request,
    web: WebDep,
    signed: Signed,
    page: CasePage,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    values: dict[str, Any] = {
        "job": None,
        "trace_error": "",
        "evidence_error": "",
        "unblur_error": "",
        **extra,
    }
    return web.templates.response(
        request,
        "case.html.j2",
        status=status,
        signed=signed,
        case=page.case,
        view=page.view,
        exports=page.exports,
        policies=POLICIES,
        policy=page.case.last_trace.policy if page.case.last_trace else DEFAULT_POLICY,
        **values,
    )


@router.get("")
def case_page(
    request: Request, case_id: str, web: WebDep, signed: InvestigatorDep, job: str | None = None
) -> Response:
    page = _load(signed.ctx, case_id)
    shown: JobOut | None = None
    if job:
        shown = jobs.get_job(signed.ctx, job)
    return _page(request, web, signed, page, job=shown)


@router.post("/trace")
def run_trace(
    request: Request,
    case_id: str,
    web: WebDep,
    signed: InvestigatorDep,
    policy: Annotated[str, Form()] = DEFAULT_POLICY,
) -> Response:
    try:
        traces.trace(signed.ctx, [case_id], policy or None)
    except InputError as exc:
        if isinstance(exc, NotFoundError) and exc.field is None:
            raise
        page = _load(signed.ctx, case_id)
        if _is_htmx(request):
            return _results(request, web, signed, page, status=422, trace_error=exc.message)
        return _page(request, web, signed, page, status=422, trace_error=exc.message)
    if not _is_htmx(request):
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return _results(request, web, signed, _load(signed.ctx, case_id))


def _results(
    request: Request,
    web: WebDep,
    signed: Signed,
    page: CasePage,
    *,
    status: int = 200,
    trace_error: str = "",
) -> Response:
    return web.templates.response(
        request,
        "case_results.html.j2",
        status=status,
        signed=signed,
        case=page.case,
        view=page.view,
        exports=page.exports,
        job=None,
        trace_error=trace_error,
        evidence_error="",
        unblur_error="",
    )


@router.post("/evidence")
def start_evidence(
    request: Request,
    case_id: str,
    web: WebDep,
    signed: InvestigatorDep,
    unblur: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    contact = unblur.strip() or None
    why = reason.strip() or None
    try:
        started = jobs.start_evidence(signed.ctx, case_id, None, False, contact, why)
    except InputError as exc:
        if isinstance(exc, NotFoundError) and exc.field is None:
            raise
        key = "unblur_error" if contact is not None or why is not None else "evidence_error"
        page = _load(signed.ctx, case_id)
        return _page(request, web, signed, page, status=422, **{key: exc.message})
    runner = web.runner()
    if runner is not None:
        runner.submit(started.job_id)
    if _is_htmx(request):
        job = jobs.get_job(signed.ctx, started.job_id)
        return _job(request, web, signed, case_id, job)
    return RedirectResponse(f"/cases/{case_id}?job={started.job_id}#evidence", status_code=303)


def _job(request: Request, web: WebDep, signed: Signed, case_id: str, job: JobOut) -> Response:
    return web.templates.response(
        request,
        "job.html.j2",
        signed=signed,
        job=job,
        poll=f"/cases/{case_id}/jobs/{job.job_id}",
        case_id=case_id,
    )


@router.get("/jobs/{job_id}")
def job_progress(
    request: Request, case_id: str, job_id: str, web: WebDep, signed: InvestigatorDep
) -> Response:
    job = jobs.get_job(signed.ctx, job_id)
    if not _is_htmx(request):
        return RedirectResponse(f"/cases/{case_id}?job={job_id}#evidence", status_code=303)
    return _job(request, web, signed, case_id, job)


@router.get("/evidence/{export_id}/{file}")
def evidence_file(case_id: str, export_id: str, file: str, signed: InvestigatorDep) -> FileResponse:
    path = evidence.evidence_file(signed.ctx, case_id, export_id, file)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        filename=path.name,
        content_disposition_type="inline" if path.suffix.lower() == ".jpg" else "attachment",
    )


@router.get("/report/{fmt}")
def report(
    case_id: str,
    fmt: Literal["pdf", "html", "csv", "json"],
    signed: InvestigatorDep,
    table: Literal["contacts", "route"] = "contacts",
) -> Response:
    made = reports.report(signed.ctx, case_id, None, fmt, table)
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/close")
def close_confirm(request: Request, case_id: str, web: WebDep, signed: InvestigatorDep) -> Response:
    page = _load(signed.ctx, case_id)
    if page.case.status in ("closed", "rejected"):
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    runs = traces.list_traces(signed.ctx, case_id).traces
    return web.templates.response(
        request,
        "case_close.html.j2",
        signed=signed,
        case=page.case,
        traces=len(runs),
        exports=page.exports,
    )


@router.post("/close")
def close(case_id: str, signed: InvestigatorDep) -> Response:
    cases.close_case(signed.ctx, case_id)
    return RedirectResponse(f"/cases/{case_id}?closed=1", status_code=303)
