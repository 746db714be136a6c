"""Reports of a saved trace run: PDF, HTML, CSV or JSON, each creation audited."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cctrace.config import get_policy
from cctrace.core.errors import InputError
from cctrace.report.model import EvidenceThumb, ReportCase, ReportData
from cctrace.services.auth import Context, require_case
from cctrace.services.events import AuditEvent, record
from cctrace.services.traces import saved_run, trace_out
from cctrace.store.records import CameraRecord, CaseRecord, TraceRunRecord
from cctrace.store.repository import Store

FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
MAX_THUMBS = 12
"""Evidence frames embedded in a report: enough to show each stay, few enough to print."""


@dataclass(frozen=True)
class ReportFile:
    """A rendered report: its bytes, media type and a file name without personal data."""

    content: bytes
    media_type: str
    filename: str
    report_id: str
    trace_id: str
    audit_seq: int


def report(
    ctx: Context,
    case_id: str,
    trace_id: str | None = None,
    fmt: str = "pdf",
    table: str = "contacts",
) -> ReportFile:
    """Render a report of one of the caller's trace runs (default: the case's latest)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}: use pdf, html, csv or json", "format")
    if table not in ("contacts", "route"):
        raise InputError(f"unknown table {table!r}: use contacts or route", "table")
    case = require_case(ctx, "export_report", case_id)
    run, result = saved_run(ctx, case_id, trace_id)
    report_id = f"report-{secrets.token_hex(6)}"
    seq = record(
        ctx,
        AuditEvent(
            "export_report",
            f"{fmt} report {report_id}" + (f" ({table})" if fmt == "csv" else ""),
            case_id,
            f"trace {run.trace_id}",
        ),
    )
    out = trace_out(run.trace_id, result)
    name = f"cctrace-{case_id}-{run.trace_id}"
    if fmt == "json":
        body = out.model_dump_json(indent=2).encode()
        return ReportFile(body, FORMATS[fmt], f"{name}.json", report_id, run.trace_id, seq)
    from cctrace.report import render

    data = ReportData(
        report_id=report_id,
        generated_at=datetime.now(UTC),
        case=_report_case(case, ctx.principal.name),
        trace_id=run.trace_id,
        trace_sha256=run.result_sha256,
        trace_at=run.created_at,
        trace=out,
        policy=get_policy(run.policy),
        cameras=_cameras(ctx.store, case, [s.camera_id for s in out.route]),
        evidence=_thumbs(ctx.store, run) if fmt in ("pdf", "html") else (),
        audit_seq=seq,
    )
    if fmt == "csv":
        body = render.render_csv(data, "route" if table == "route" else "contacts").encode()
        return ReportFile(body, FORMATS[fmt], f"{name}-{table}.csv", report_id, run.trace_id, seq)
    if fmt == "html":
        body = render.render_html(data).encode()
        return ReportFile(body, FORMATS[fmt], f"{name}.html", report_id, run.trace_id, seq)
    body = render.render_pdf(data)
    return ReportFile(body, FORMATS[fmt], f"{name}.pdf", report_id, run.trace_id, seq)


def _report_case(case: CaseRecord, investigator: str) -> ReportCase:
    return ReportCase(
        case_id=case.case_id,
        label=case.label,
        window_from=datetime.fromtimestamp(case.t_from_s, UTC),
        window_to=datetime.fromtimestamp(case.t_to_s, UTC),
        site=case.site,
        camera_ids=case.camera_ids,
        consent_given_by=case.consent_given_by,
        consent_date=case.consent_date,
        consent_sha256=case.consent_sha256,
        investigator=investigator,
        diagnosis_ref=case.diagnosis_ref,
    )


def _cameras(store: Store, case: CaseRecord, route: list[str]) -> tuple[CameraRecord, ...]:
    """The cameras of the case's region, or of the sites the route went through."""
    cameras = store.list_cameras()
    if case.camera_ids is not None:
        keep = set(case.camera_ids) | set(route)
        return tuple(c for c in cameras if c.camera_id in keep)
    sites = {c.site for c in cameras if c.camera_id in set(route)}
    return tuple(c for c in cameras if c.camera_id in set(route) or (c.site and c.site in sites))


def _thumbs(store: Store, run: TraceRunRecord) -> tuple[EvidenceThumb, ...]:
    """Frames of the run's latest evidence export in which every face but the patient's is
    pixelated (an export with an unblurred contact is never embedded)."""
    for export in reversed(store.case_exports(run.case_id)):
        if export.outcome is not None:
            continue
        folder = Path(export.path)
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError):
            continue
        if manifest.get("trace_id") != run.trace_id or manifest.get("unblurred_contact"):
            continue
        thumbs = []
        for f in manifest.get("files", []):
            path = folder / str(f.get("file", ""))
            if f.get("media") != "frame" or path.parent != folder or not path.is_file():
                continue
            what = (
                f"stay {f['index']}"  # numbered from 1 (evidence_items)
                if f.get("kind") == "stay"
                else f"encounter with {f.get('contact_id')}"
            )
            thumbs.append(
                EvidenceThumb(f"{what}, camera {f['camera_id']}, {f['t_start_utc'][11:19]}", path)
            )
        return tuple(thumbs[:MAX_THUMBS])
    return ()
