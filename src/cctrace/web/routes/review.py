"""The supervisor's page: the queue of pending cases (metadata only: who asked, window,
region, consent record, diagnosis reference), each approved or rejected with a reason,
and the cases decided before. A supervisor never sees a face, a frame or a route."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from cctrace.core.errors import AuthError, InputError, NotFoundError
from cctrace.services import cases
from cctrace.web.deps import Signed, SupervisorDep, WebDep, supervisor, text

router = APIRouter(prefix="/review", dependencies=[Depends(supervisor)])

DECIDED_SHOWN = 50
"""Decided cases listed under the queue, newest first."""


def _page(
    request: Request,
    web: WebDep,
    signed: Signed,
    error: str = "",
    error_case: str = "",
    done: str = "",
    status: int = 200,
) -> Response:
    listed = cases.list_cases(signed.ctx).cases
    return web.templates.response(
        request,
        "review.html.j2",
        status=status,
        signed=signed,
        pending=[c for c in listed if c.status == "pending"],
        decided=[c for c in listed if c.status != "pending"][:DECIDED_SHOWN],
        error=error,
        error_case=error_case,
        done=done,
    )


@router.get("")
def queue(request: Request, web: WebDep, signed: SupervisorDep) -> Response:
    return _page(request, web, signed, done=request.query_params.get("done", ""))


@router.post("/{case_id}")
async def decide(case_id: str, request: Request, web: WebDep, signed: SupervisorDep) -> Response:
    form = await request.form()
    decision, reason = text(form, "decision"), text(form, "reason")
    try:
        if decision == "approve":
            await run_in_threadpool(cases.approve_case, signed.ctx, case_id, reason)
        elif decision == "reject":
            await run_in_threadpool(cases.reject_case, signed.ctx, case_id, reason)
        else:
            raise InputError("choose approve or reject", "decision")
    except (InputError, AuthError, NotFoundError) as exc:
        code = 403 if isinstance(exc, AuthError) else 404 if isinstance(exc, NotFoundError) else 422
        return _page(request, web, signed, exc.message, case_id, status=code)
    return RedirectResponse(f"/review?done={case_id}", status_code=303)
