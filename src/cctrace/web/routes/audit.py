"""The auditor's pages: the audit log, filtered, and the verification of its chain.
Auditors see who did what and when; never a face, a frame or a route."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from cctrace.core.errors import InputError
from cctrace.privacy.consent import parse_time
from cctrace.schemas import AuditVerifyOut
from cctrace.services import audit
from cctrace.web.deps import AuditorDep, Signed, WebDep, auditor
from cctrace.web.forms import window_bound

router = APIRouter(prefix="/audit", dependencies=[Depends(auditor)])

SHOWN = 1000
"""Entries shown at once, newest first (filters narrow the rest)."""
FILTERS = ("case", "actor", "action", "since", "until")


@router.get("")
def audit_home() -> Response:
    return RedirectResponse("/audit/log", status_code=303)


def _bound(text: str, label: str, field: str, *, end: bool) -> datetime | None:
    if not text:
        return None
    return parse_time(window_bound(text, end=end), label, field)


def _log_page(
    request: Request,
    web: WebDep,
    signed: Signed,
    verified: tuple[AuditVerifyOut, str] | None = None,
) -> Response:
    filters = {k: request.query_params.get(k, "").strip() for k in FILTERS}
    error = ""
    entries: list[Any] = []
    total = 0
    try:
        since = _bound(filters["since"], "from", "since", end=False)
        until = _bound(filters["until"], "until", "until", end=True)
        log = audit.audit_log(
            signed.ctx,
            filters["case"] or None,
            filters["actor"] or None,
            filters["action"] or None,
            since,
            until,
        )
        total = len(log.entries)
        entries = list(reversed(log.entries))[:SHOWN]
    except InputError as exc:
        error = exc.message
    return web.templates.response(
        request,
        "audit_log.html.j2",
        status=422 if error else 200,
        signed=signed,
        filters=filters,
        entries=entries,
        total=total,
        shown=SHOWN,
        error=error,
        verified=verified,
    )


@router.get("/log")
def log_page(request: Request, web: WebDep, signed: AuditorDep) -> Response:
    return _log_page(request, web, signed)


@router.post("/verify")
def verify(request: Request, web: WebDep, signed: AuditorDep) -> Response:
    verified = audit.verify(signed.ctx)
    if request.headers.get("hx-request") == "true":
        return web.templates.response(
            request, "audit_verify.html.j2", signed=signed, verified=verified
        )
    return _log_page(request, web, signed, verified)


@router.get("/report")
def report_page(request: Request, web: WebDep, signed: AuditorDep) -> Response:
    """Per investigator, the cases opened in a period and what was done with them."""
    filters = {k: request.query_params.get(k, "").strip() for k in ("since", "until")}
    error = ""
    report = None
    try:
        since = _bound(filters["since"], "from", "since", end=False)
        until = _bound(filters["until"], "until", "until", end=True)
        report = audit.audit_report(signed.ctx, since, until)
    except InputError as exc:
        error = exc.message
    return web.templates.response(
        request,
        "audit_report.html.j2",
        status=422 if error else 200,
        signed=signed,
        filters=filters,
        report=report,
        error=error,
    )
