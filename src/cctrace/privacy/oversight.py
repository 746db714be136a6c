"""The auditor's report: per investigator, what was done with the cases of a period, and
the outliers an auditor should look at.

Counts come from the records themselves (cases with their decision and closure columns,
saved trace runs, recorded evidence exports) and, for what has no table of its own
(reports written, unblurs), from the audit entries' action names and the outcomes the
services write for them, never from free text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cctrace.store.audit_log import AuditEntry
from cctrace.store.records import CaseRecord

MANY_CASES_PER_DAY = 10
"""More cases than this opened by one investigator in one UTC day is flagged. The
mission's target is ten patients in one sitting; more than that in a day by one person is
unusual enough to deserve a look."""


@dataclass(frozen=True)
class CaseFacts:
    """One case with what was done with it."""

    case: CaseRecord
    owner: str
    traces: int
    evidence_exports: int
    reports: int
    unblurs: int


@dataclass(frozen=True)
class Flag:
    kind: str
    investigator: str
    case_id: str | None
    detail: str


@dataclass
class Activity:
    investigator: str
    cases: list[CaseFacts] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.cases if f.case.status == status)


def case_facts(
    case: CaseRecord, owner: str, traces: int, exports: int, entries: list[AuditEntry]
) -> CaseFacts:
    """``entries``: the case's audit entries (the services write report and unblur events
    with these outcomes; an authorization entry says "allowed" and is not counted)."""
    reports = sum(
        1
        for e in entries
        if e.action == "export_report"
        and e.outcome != "allowed"
        and not e.outcome.startswith("refused")
    )
    unblurs = sum(1 for e in entries if e.action == "unblur" and e.outcome == "unblurred")
    return CaseFacts(case, owner, traces, exports, reports, unblurs)


def flags(activities: list[Activity], now: datetime, max_open_days: int) -> list[Flag]:
    """The outliers: many cases by one person in a day, a case open past its limit, an
    unblur without an evidence export."""
    out: list[Flag] = []
    limit = timedelta(days=max_open_days)
    for a in activities:
        per_day = Counter(
            f.case.created_at.date().isoformat() for f in a.cases if f.case.created_at
        )
        for day, n in sorted(per_day.items()):
            if n > MANY_CASES_PER_DAY:
                out.append(
                    Flag(
                        "many_cases_in_a_day",
                        a.investigator,
                        None,
                        f"{n} cases opened on {day} (more than {MANY_CASES_PER_DAY})",
                    )
                )
        for f in a.cases:
            c = f.case
            if c.created_at is None:
                continue
            end = c.closed_at if c.status == "closed" and c.closed_at else now
            if end - c.created_at > limit:
                state = "closed" if c.status == "closed" else "still open"
                out.append(
                    Flag(
                        "open_past_limit",
                        a.investigator,
                        c.case_id,
                        f"{(end - c.created_at).days} days from opening, {state}; the limit is "
                        f"{max_open_days} days",
                    )
                )
            if f.unblurs and not f.evidence_exports:
                out.append(
                    Flag(
                        "unblur_without_export",
                        a.investigator,
                        c.case_id,
                        f"{f.unblurs} unblurred contacts and no evidence export recorded",
                    )
                )
    return out
