"""Cases: open one for a consenting patient, a supervisor's approval or rejection, list
and read them, close or withdraw them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cctrace.core.errors import AuthError, InputError
from cctrace.privacy.case_limits import case_limits
from cctrace.privacy.consent import parse_time, read_consent
from cctrace.privacy.retention import close_case as close_case_records
from cctrace.schemas import (
    CaseCloseOut,
    CaseDecisionOut,
    CaseDetailOut,
    CaseListItemOut,
    CaseOut,
    CaseOverviewOut,
    CasesOut,
    CasesOverviewOut,
    CaseSummaryOut,
)
from cctrace.services.auth import Context, authorize, require_case
from cctrace.services.events import AuditEvent, record
from cctrace.services.traces import iso, run_out
from cctrace.store.records import CaseRecord, CaseStatus
from cctrace.store.users import person_of
from cctrace.trace.cases import check_region, check_window, reference_faces, region_cameras
from cctrace.trace.cases import open_case as open_case_record
from cctrace.vision.analyze import FaceAnalyzer

STATUSES: tuple[CaseStatus, ...] = ("pending", "approved", "rejected", "closed")
MAX_REASON = 1000


def open_case(
    ctx: Context,
    patient_photos: list[Path],
    consent_file: Path | None,
    consent_given_by: str,
    consent_date: str,
    t_from: str,
    t_to: str,
    label: str = "",
    site: str | None = None,
    cameras: list[str] | None = None,
    photo_names: list[str] | None = None,
    diagnosis_ref: str = "",
    consent_name: str | None = None,
) -> CaseOut:
    """Open a pending case; nothing is stored unless consent, window and every photo are
    good. A supervisor approves it before it is traced.

    ``photo_names``, ``consent_name``: how to name each file in an error (an upload's own
    file name)."""
    authorize(ctx, "open_case")
    now = datetime.now(UTC)
    # The consent gate comes first: no photo is even looked at without consent.
    consent = read_consent(
        consent_file, consent_given_by, consent_date, now, diagnosis_ref, consent_name
    )
    if not t_from or not t_to:
        raise InputError(
            "give the case's time window with --from and --to", field="from" if not t_from else "to"
        )
    start, end = parse_time(t_from, "--from", "from"), parse_time(t_to, "--to", "to")
    limits = case_limits(ctx.store)
    check_window(start, end, now, limits.max_case_window_days)
    # The region before the photos too: no face is looked at for a case that cannot open.
    check_region(ctx.store, region_cameras(ctx.store, site, cameras), limits.max_case_cameras)
    if not patient_photos:
        raise InputError("give at least one reference photo of the patient", "patient_photo")
    refs = reference_faces(patient_photos, FaceAnalyzer(), photo_names)
    case = open_case_record(
        ctx.store, ctx.principal.user, consent, refs, start, end, label, site, cameras or None
    )
    record(
        ctx,
        AuditEvent(
            "open_case", "opened", case.case_id, f"consent sha256 {consent.form_sha256[:16]}"
        ),
    )
    return CaseOut(case_id=case.case_id)


def _reason(reason: str, what: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise InputError(f"give the reason for the {what} (--reason TEXT)", "reason")
    if len(text) > MAX_REASON:
        raise InputError(
            f"the reason is {len(text)} characters long; at most {MAX_REASON}", "reason"
        )
    return text


def _decide(
    ctx: Context, case_id: str, decision: Literal["approved", "rejected"], reason: str
) -> CaseDecisionOut:
    why = _reason(reason, "approval" if decision == "approved" else "rejection")
    case = require_case(ctx, "review_case", case_id)
    store, who = ctx.store, ctx.principal
    owner = store.user_by_id(case.owner_id)
    # Four eyes: the second pair must belong to another person, not only another account.
    if owner is None or person_of(owner.name) == person_of(who.name):
        store.audit(who.name, who.role, "review_case", "refused: own case", case_id)
        raise AuthError(
            f"case {case_id} was opened by {owner.name if owner else 'an unknown account'}, "
            f"whom your account {who.name!r} names too: a case is approved or rejected by "
            "another person than the one who opened it"
        )
    store.decide_case(case_id, decision, who.user_id, why)
    verb = "approve_case" if decision == "approved" else "reject_case"
    record(ctx, AuditEvent(verb, decision, case_id, f"reason: {why}"))
    return CaseDecisionOut(case_id=case_id, status=decision)


def approve_case(ctx: Context, case_id: str, reason: str) -> CaseDecisionOut:
    """A supervisor (never the case's own owner) lets a pending case be traced."""
    return _decide(ctx, case_id, "approved", reason)


def reject_case(ctx: Context, case_id: str, reason: str) -> CaseDecisionOut:
    """A supervisor refuses a pending case: it is never traced; its reference faces go."""
    return _decide(ctx, case_id, "rejected", reason)


def _names(ctx: Context) -> dict[str, str]:
    return {u.user_id: u.name for u in ctx.store.list_users()}


def _item(c: CaseRecord, names: dict[str, str]) -> CaseListItemOut:
    return CaseListItemOut(
        case_id=c.case_id,
        label=c.label,
        status=c.status,
        opened_at=None if c.created_at is None else c.created_at.isoformat(),
        window_from=iso(c.t_from_s),
        window_to=iso(c.t_to_s),
        owner=names.get(c.owner_id, c.owner_id),
        diagnosis_ref=c.diagnosis_ref,
        site=c.site,
        cameras=None if c.camera_ids is None else list(c.camera_ids),
        consent_given_by=c.consent_given_by,
        consent_date=c.consent_date.isoformat(),
        consent_sha256=c.consent_sha256,
        decided_by=None if c.decided_by is None else names.get(c.decided_by, c.decided_by),
        decided_at=None if c.decided_at is None else c.decided_at.isoformat(),
        decision_reason=c.decision_reason,
        closed_at=None if c.closed_at is None else c.closed_at.isoformat(),
        closed_reason=c.closed_reason,
    )


def check_status(status: str | None) -> CaseStatus | None:
    if status is None or status == "":
        return None
    for s in STATUSES:
        if s == status:
            return s
    raise InputError(f"unknown case status {status!r}: use one of {', '.join(STATUSES)}", "status")


def list_cases(ctx: Context, status: str | None = None) -> CasesOut:
    """An investigator's own cases; a supervisor's view of every case (metadata only);
    newest first, of one status or all."""
    wanted = check_status(status)
    authorize(ctx, "list_cases")
    store, who = ctx.store, ctx.principal
    if who.role == "supervisor":
        found = store.all_cases(wanted)
    else:
        found = store.cases_of(who.user_id, wanted)
    names = _names(ctx)
    return CasesOut(cases=[_item(c, names) for c in found])


def cases_overview(ctx: Context) -> CasesOverviewOut:
    """The caller's own cases, newest first, each with its latest trace run."""
    authorize(ctx, "view_case")
    names = _names(ctx)
    out = []
    for c in ctx.store.cases_of(ctx.principal.user_id):
        runs = ctx.store.trace_runs(c.case_id)
        out.append(
            CaseOverviewOut(
                **_item(c, names).model_dump(), last_trace=run_out(runs[-1]) if runs else None
            )
        )
    return CasesOverviewOut(cases=out)


def get_case(ctx: Context, case_id: str) -> CaseDetailOut:
    c = require_case(ctx, "view_case", case_id)
    runs = ctx.store.trace_runs(case_id)
    raw = ctx.store.case_summary(case_id)
    return CaseDetailOut(
        **_item(c, _names(ctx)).model_dump(),
        last_trace=run_out(runs[-1]) if runs else None,
        summary=None if raw is None else CaseSummaryOut.model_validate_json(raw),
    )


def _close_out(ctx: Context, case: CaseRecord, reason: str, why: str | None) -> CaseCloseOut:
    closure = close_case_records(ctx.store, ctx.principal.user, case, reason, why)
    return CaseCloseOut(
        case_id=closure.case_id,
        status="closed",
        already_closed=closure.already_closed,
        references_destroyed=closure.references_destroyed,
        export_files_destroyed=closure.export_files_destroyed,
        summary=CaseSummaryOut.model_validate(closure.summary),
        exports_destroyed=closure.exports_destroyed,
        exports_already_gone=closure.exports_already_gone,
        exports_left_alone=list(closure.exports_left_alone),
        closed_reason=reason if not closure.already_closed else case.closed_reason or "closed",
    )


def close_case(ctx: Context, case_id: str) -> CaseCloseOut:
    """Destroy what was derived for the case (references, exports, trace results); keep a
    summary without biometrics whose counts come from the saved trace runs."""
    case = require_case(ctx, "close_case", case_id)
    return _close_out(ctx, case, "closed", None)


def withdraw_case(ctx: Context, case_id: str, reason: str) -> CaseCloseOut:
    """The patient withdrew consent: the case closes at once exactly as `close_case` does
    (its owner or a supervisor records it), and the withdrawal is kept with the case."""
    why = _reason(reason, "withdrawal")
    case = require_case(ctx, "withdraw_case", case_id)
    if case.status != "closed":
        record(ctx, AuditEvent("withdraw_case", "withdrawn", case_id, f"reason: {why}"))
    return _close_out(ctx, case, "withdrawn", why)
