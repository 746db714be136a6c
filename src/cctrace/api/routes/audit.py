"""The audit log (auditor): read it, verify its chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from cctrace.api.deps import CtxDep, action
from cctrace.privacy.consent import parse_time
from cctrace.schemas import AuditLogOut, AuditReportOut, AuditVerifyOut
from cctrace.services import audit

router = APIRouter(tags=["audit"])


@router.get(
    "/audit",
    response_model=AuditLogOut,
    summary="Every audited action, oldest first",
    openapi_extra=action("read_audit"),
)
def audit_log(ctx: CtxDep, case_id: str | None = None) -> AuditLogOut:
    return audit.audit_log(ctx, case_id)


@router.get(
    "/audit/verify",
    response_model=AuditVerifyOut,
    summary="Whether the audit log's hash chain is intact",
    openapi_extra=action("read_audit"),
)
def audit_verify(ctx: CtxDep) -> AuditVerifyOut:
    return audit.verify(ctx)[0]


@router.get(
    "/audit/report",
    response_model=AuditReportOut,
    summary="Per investigator, the cases of a period and what was done with them; outliers",
    openapi_extra=action("read_audit"),
)
def audit_report(
    ctx: CtxDep,
    t_from: Annotated[
        str | None, Query(alias="from", description="Cases opened from (ISO 8601).")
    ] = None,
    t_to: Annotated[
        str | None, Query(alias="to", description="Cases opened before (ISO 8601).")
    ] = None,
) -> AuditReportOut:
    since: datetime | None = None if t_from is None else parse_time(t_from, "from", "from")
    until: datetime | None = None if t_to is None else parse_time(t_to, "to", "to")
    return audit.audit_report(ctx, since, until)
