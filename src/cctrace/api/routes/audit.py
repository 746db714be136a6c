"""The audit log (auditor): read it, verify its chain."""

from __future__ import annotations

from fastapi import APIRouter

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import AuditLogOut, AuditVerifyOut
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
