"""One case's page (its investigator only): trace, route on the map, contacts, evidence,
reports, closing. Each action is the service's; refusals come from `authorize`.

htmx updates parts of the page in place (a trace job's or an evidence job's progress, then
the trace's results); without scripts every form still works as a plain POST followed by
the page again. A trace runs as a job (a large city's takes minutes): the page shows its
stage and percent, and the results replace the old ones when it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse
from starlette.responses import RedirectResponse, Response

from cctrace.config import POLICIES
from cctrace.core.errors import InputError, NotFoundError
from cctrace.schemas import CaseDetailOut, EvidenceExportOut, JobOut, TraceOut
from cctrace.services import cameras, cases, evidence, jobs, reports, sites, traces
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
            view = trace_view(
                trace,
                cameras.list_cameras(ctx).cameras,
                sites.list_site_plans(ctx).site_plans,
                lambda site: f"/cases/{case_id}/site-plans/{quote(site, safe='')}",
            )
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
        "trace_job": None,
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
    if shown is not None and shown.kind == "trace":
        return _page(request, web, signed, page, trace_job=shown)
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
        started = jobs.start_trace(signed.ctx, case_id, policy or None)
    except InputError as exc:
        if isinstance(exc, NotFoundError) and exc.field is None:
            raise
        if _is_htmx(request):
            return _form_error(request, web, signed, f"The trace did not run: {exc.message}")
        page = _load(signed.ctx, case_id)
        return _page(request, web, signed, page, status=422, trace_error=exc.message)
    runner = web.runner()
    if runner is not None:
        runner.submit(started.job_id)
    if not _is_htmx(request):
        return RedirectResponse(f"/cases/{case_id}?job={started.job_id}#trace", status_code=303)
    shown = _job(request, web, signed, case_id, jobs.get_job(signed.ctx, started.job_id))
    # The address names the job, so that reloading the page shows its progress again.
    shown.headers["HX-Replace-Url"] = f"/cases/{case_id}?job={started.job_id}"
    return shown


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
        if _is_htmx(request):  # said where the job's progress would have shown
            return _form_error(request, web, signed, f"Nothing was exported: {exc.message}")
        key = "unblur_error" if contact is not None or why is not None else "evidence_error"
        page = _load(signed.ctx, case_id)
        return _page(request, web, signed, page, status=422, **{key: exc.message})
    runner = web.runner()
    if runner is not None:
        runner.submit(started.job_id)
    if _is_htmx(request):
        job = jobs.get_job(signed.ctx, started.job_id)
        shown = _job(request, web, signed, case_id, job)
        shown.headers["HX-Replace-Url"] = f"/cases/{case_id}?job={started.job_id}"
        return shown
    return RedirectResponse(f"/cases/{case_id}?job={started.job_id}#evidence", status_code=303)


def _form_error(request: Request, web: WebDep, signed: Signed, message: str) -> Response:
    return web.templates.response(
        request, "form_error.html.j2", status=422, signed=signed, message=message
    )


def _job(request: Request, web: WebDep, signed: Signed, case_id: str, job: JobOut) -> Response:
    poll = f"/cases/{case_id}/jobs/{job.job_id}"
    if job.kind == "trace" and job.state == "done":
        # The finished trace's results replace the page's (htmx out-of-band swap).
        page = _load(signed.ctx, case_id)
        return web.templates.response(
            request,
            "trace_done.html.j2",
            signed=signed,
            job=job,
            poll=poll,
            case=page.case,
            view=page.view,
            exports=page.exports,
            trace_error="",
            evidence_error="",
            unblur_error="",
        )
    return web.templates.response(
        request, "job.html.j2", signed=signed, job=job, poll=poll, case_id=case_id
    )


@router.get("/jobs/{job_id}")
def job_progress(
    request: Request, case_id: str, job_id: str, web: WebDep, signed: InvestigatorDep
) -> Response:
    job = jobs.get_job(signed.ctx, job_id)
    if not _is_htmx(request):
        anchor = "trace" if job.kind == "trace" else "evidence"
        return RedirectResponse(f"/cases/{case_id}?job={job_id}#{anchor}", status_code=303)
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


@router.get("/site-plans/{site}")
def site_plan_image(case_id: str, site: str, signed: InvestigatorDep) -> Response:
    """The plan image under the case's route map (it shows a building, no one)."""
    plan, data = sites.site_plan_image(signed.ctx, site)
    return Response(data, media_type=plan.media_type)


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
