"""The audit log for auditors: read it (filtered) and verify its chain."""

from __future__ import annotations

from datetime import UTC, datetime

from cctrace.core.errors import InputError
from cctrace.privacy.case_limits import case_limits
from cctrace.privacy.oversight import Activity, case_facts, flags
from cctrace.schemas import (
    AuditEntryOut,
    AuditFlagOut,
    AuditLogOut,
    AuditReportOut,
    AuditVerifyOut,
    CaseActivityOut,
    InvestigatorActivityOut,
)
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.services.traces import iso
from cctrace.store.records import CaseRecord


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


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def _region(case: CaseRecord) -> str:
    if case.site:
        return f"site {case.site}"
    if case.camera_ids is not None:
        return f"{len(case.camera_ids)} cameras"
    return "every camera"


def audit_report(
    ctx: Context, since: datetime | None = None, until: datetime | None = None
) -> AuditReportOut:
    """Per investigator, the cases opened in the period (all time by default) and what was
    done with them: decisions, traces, exports, unblurs, closures, their windows and
    regions, the hours to decision and to closure; with the outliers flagged."""
    if since is not None and until is not None and until <= since:
        raise InputError(f"--to {until.isoformat()} must be after --from {since.isoformat()}", "to")
    authorize(ctx, "read_audit")
    store = ctx.store
    names = {u.user_id: u.name for u in store.list_users()}
    by_owner: dict[str, Activity] = {}
    for case in reversed(store.all_cases()):
        opened = case.created_at
        if opened is None or (since and opened < since) or (until and opened >= until):
            continue
        owner = names.get(case.owner_id, case.owner_id)
        facts = case_facts(
            case,
            owner,
            len(store.trace_runs(case.case_id)),
            len(store.case_exports(case.case_id)),
            store.audit_entries(case.case_id),
        )
        by_owner.setdefault(owner, Activity(owner)).cases.append(facts)
    activities = [by_owner[k] for k in sorted(by_owner)]
    limits = case_limits(store)
    found = flags(activities, datetime.now(UTC), limits.max_case_open_days)
    record(
        ctx,
        AuditEvent(
            "audit_report",
            f"{sum(len(a.cases) for a in activities)} cases, {len(found)} flags",
            target=f"{since.isoformat() if since else 'start'} to "
            f"{until.isoformat() if until else 'now'}",
        ),
    )
    return AuditReportOut(
        period_from=None if since is None else since.isoformat(),
        period_to=None if until is None else until.isoformat(),
        investigators=[
            InvestigatorActivityOut(
                investigator=a.investigator,
                opened=len(a.cases),
                approved=sum(1 for f in a.cases if _was(f.case, "approved")),
                rejected=a.count("rejected"),
                traced=sum(f.traces for f in a.cases),
                exported=sum(f.evidence_exports + f.reports for f in a.cases),
                unblurred=sum(f.unblurs for f in a.cases),
                closed=a.count("closed"),
                withdrawn=sum(1 for f in a.cases if f.case.closed_reason == "withdrawn"),
                cases=[
                    CaseActivityOut(
                        case_id=f.case.case_id,
                        status=f.case.status,
                        opened_at=f.case.created_at.isoformat() if f.case.created_at else "",
                        window_from=iso(f.case.t_from_s),
                        window_to=iso(f.case.t_to_s),
                        window_days=round((f.case.t_to_s - f.case.t_from_s) / 86400, 2),
                        region=_region(f.case),
                        hours_to_decision=_hours(f.case.created_at, f.case.decided_at),
                        hours_to_closure=_hours(f.case.created_at, f.case.closed_at),
                        closed_reason=f.case.closed_reason,
                    )
                    for f in a.cases
                ],
            )
            for a in activities
        ],
        flags=[
            AuditFlagOut(
                kind=f.kind, investigator=f.investigator, case_id=f.case_id, detail=f.detail
            )
            for f in found
        ],
    )


def _was(case: CaseRecord, status: str) -> bool:
    """Approved at some point: approved now, or closed after an approval."""
    if status == "approved":
        return case.decided_at is not None and case.status in ("approved", "closed")
    return case.status == status
