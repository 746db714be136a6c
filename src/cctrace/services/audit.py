"""The audit log for auditors: read it (filtered) and verify its chain."""

from __future__ import annotations

from datetime import datetime

from cctrace.schemas import AuditEntryOut, AuditLogOut, AuditVerifyOut
from cctrace.services.auth import Context, authorize


def audit_log(
    ctx: Context,
    case_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditLogOut:
    """Every audited action, oldest first, optionally filtered."""
    authorize(ctx, "read_audit")
    rows = [
        e
        for e in ctx.store.audit_entries(case_id)
        if (actor is None or e.actor == actor)
        and (action is None or e.action == action)
        and (since is None or e.at >= since)
        and (until is None or e.at <= until)
    ]
    return AuditLogOut(
        entries=[
            AuditEntryOut(
                seq=e.seq,
                at=e.at.isoformat(),
                actor=e.actor,
                role=e.role,
                action=e.action,
                case_id=e.case_id,
                target=e.target,
                outcome=e.outcome,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in rows
        ]
    )


def verify(ctx: Context) -> tuple[AuditVerifyOut, str]:
    """Whether the chain is intact, and the reason in words."""
    authorize(ctx, "read_audit")
    report = ctx.store.verify_audit()
    return (
        AuditVerifyOut(ok=report.ok, entries=report.entries, first_bad=report.first_bad),
        report.reason,
    )
