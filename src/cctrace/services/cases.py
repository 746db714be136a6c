"""Cases: open one for a consenting patient, list and read them, close them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.privacy.consent import parse_time, read_consent
from cctrace.privacy.retention import close_case as close_case_records
from cctrace.schemas import (
    CaseCloseOut,
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
from cctrace.store.records import CaseRecord
from cctrace.trace.cases import open_case as open_case_record
from cctrace.trace.cases import reference_faces
from cctrace.vision.analyze import FaceAnalyzer


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
) -> CaseOut:
    """Open a case; nothing is stored unless consent, window and every photo are good.

    ``photo_names``: how to name each photo in an error (an upload's own file name)."""
    authorize(ctx, "open_case")
    # The consent gate comes first: no photo is even looked at without consent.
    consent = read_consent(consent_file, consent_given_by, consent_date, datetime.now(UTC))
    if not t_from or not t_to:
        raise InputError(
            "give the case's time window with --from and --to", field="from" if not t_from else "to"
        )
    start, end = parse_time(t_from, "--from", "from"), parse_time(t_to, "--to", "to")
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


def _item(c: CaseRecord) -> CaseListItemOut:
    return CaseListItemOut(
        case_id=c.case_id,
        label=c.label,
        status=c.status,
        opened_at=None if c.created_at is None else c.created_at.isoformat(),
        window_from=iso(c.t_from_s),
        window_to=iso(c.t_to_s),
    )


def list_cases(ctx: Context) -> CasesOut:
    """The caller's own cases, newest first."""
    authorize(ctx, "view_case")
    return CasesOut(cases=[_item(c) for c in ctx.store.cases_of(ctx.principal.user_id)])


def cases_overview(ctx: Context) -> CasesOverviewOut:
    """The caller's own cases, newest first, each with its latest trace run."""
    authorize(ctx, "view_case")
    out = []
    for c in ctx.store.cases_of(ctx.principal.user_id):
        runs = ctx.store.trace_runs(c.case_id)
        out.append(
            CaseOverviewOut(**_item(c).model_dump(), last_trace=run_out(runs[-1]) if runs else None)
        )
    return CasesOverviewOut(cases=out)


def get_case(ctx: Context, case_id: str) -> CaseDetailOut:
    c = require_case(ctx, "view_case", case_id)
    runs = ctx.store.trace_runs(case_id)
    raw = ctx.store.case_summary(case_id)
    return CaseDetailOut(
        **_item(c).model_dump(),
        site=c.site,
        cameras=None if c.camera_ids is None else list(c.camera_ids),
        consent_given_by=c.consent_given_by,
        consent_date=c.consent_date.isoformat(),
        consent_sha256=c.consent_sha256,
        last_trace=run_out(runs[-1]) if runs else None,
        summary=None if raw is None else CaseSummaryOut.model_validate_json(raw),
    )


def close_case(ctx: Context, case_id: str) -> CaseCloseOut:
    """Destroy what was derived for the case (references, exports, trace results); keep a
    summary without biometrics whose counts come from the saved trace runs."""
    case = require_case(ctx, "close_case", case_id)
    closure = close_case_records(ctx.store, ctx.principal.user, case)
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
    )
