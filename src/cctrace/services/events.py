"""What the services write to the audit log: one typed event per thing that happened.

Facts a later step reads (a trace's counts, an export's files) live in their own tables
(trace runs, case exports); the audit entry references them by id and never is parsed back.
"""

from __future__ import annotations

from dataclasses import dataclass

from cctrace.services.auth import Context


@dataclass(frozen=True)
class AuditEvent:
    """One audited fact: the action, its outcome, the case and what it touched (ids)."""

    action: str
    outcome: str
    case_id: str | None = None
    target: str = ""


def record(ctx: Context, event: AuditEvent) -> int:
    """Append ``event`` as the principal's to the tamper-evident log; its sequence number."""
    who = ctx.principal
    return ctx.store.audit(
        who.name, who.role, event.action, event.outcome, event.case_id, event.target
    )
