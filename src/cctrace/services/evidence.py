"""Evidence exports of a saved trace run: the patient clear, every other face pixelated."""

from __future__ import annotations

import json
from pathlib import Path

from cctrace.core.errors import InputError, NotFoundError
from cctrace.privacy.exports import (
    MANIFEST,
    case_export_lock,
    default_export_dir,
    inspect_export,
    new_export_id,
    refuse_if_closed,
)
from cctrace.report.evidence import (
    EvidenceExport,
    EvidenceOptions,
    RedactionFaceDetector,
    check_out_dir,
    staged,
    write_evidence,
)
from cctrace.schemas import EvidenceExportOut, EvidenceExportsOut, EvidenceFileOut, EvidenceOut
from cctrace.services.auth import Context, require_case
from cctrace.services.events import AuditEvent, record
from cctrace.services.traces import saved_run
from cctrace.store.records import CaseExport
from cctrace.trace.types import TraceResult


def export_evidence(
    ctx: Context,
    case_id: str,
    trace_id: str | None = None,
    out: Path | None = None,
    clips: bool = False,
    unblur: str | None = None,
    reason: str | None = None,
    export_id: str | None = None,
) -> EvidenceOut:
    """Write the redacted frames (and clips) of a saved trace run's stays and encounters.

    ``trace_id``: the case's latest run when None. ``out``: a new or empty folder (default
    under the data folder). Unblurring a contact needs a reason and is audited."""
    why = (reason or "").strip()
    if unblur is not None and not why:
        raise InputError("--unblur needs a --reason (it is written to the audit log)", "reason")
    if reason is not None and unblur is None:
        raise InputError("--reason goes with --unblur CONTACT_ID", "unblur")
    if out is not None:
        check_out_dir(out)
    export_id = export_id or new_export_id()
    store, user = ctx.store, ctx.principal.user
    # Unknown cases and other investigators' cases are refused (and audited) before the
    # lock, whose file would otherwise be left behind by a refused attempt.
    require_case(ctx, "export_evidence", case_id)
    if unblur is not None:
        require_case(ctx, "unblur", case_id)
    refuse_if_closed(store, user, case_id)
    run, result = saved_run(ctx, case_id, trace_id)
    # Held while writing: the case cannot be closed under an export being written.
    with case_export_lock(store.home, case_id, exclusive=False):
        refuse_if_closed(store, user, case_id)  # closed since the check above
        folder = out or default_export_dir(store.home, case_id, export_id)
        if out is None:
            folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = folder.absolute()
        export = _write(ctx, result, folder, export_id, clips, unblur, why, run.trace_id)
    return EvidenceOut(
        case_id=case_id,
        out=str(folder),
        frames=export.frames,
        clips=export.clips,
        blurred_faces=export.blurred_faces,
        unblurred_contact=unblur,
        export_id=export_id,
        trace_id=run.trace_id,
    )


def _write(
    ctx: Context,
    result: TraceResult,
    folder: Path,
    export_id: str,
    clips: bool,
    unblur: str | None,
    why: str,
    trace_id: str,
) -> EvidenceExport:
    store, case_id = ctx.store, result.case_id
    recorded = False
    try:
        with staged(folder) as tmp:
            export = write_evidence(
                store,
                result,
                tmp,
                RedactionFaceDetector(),
                EvidenceOptions(clips=clips),
                unblur,
                export_id=export_id,
                trace_id=trace_id,
            )
            # Recorded and logged before the files appear: no export exists that the log
            # lacks, or that closing the case would not find.
            store.add_case_export(CaseExport(export_id, case_id, str(folder)))
            recorded = True
            if unblur is not None:
                record(
                    ctx,
                    AuditEvent("unblur", "unblurred", case_id, f"contact {unblur}; reason: {why}"),
                )
            record(
                ctx,
                AuditEvent(
                    "export_evidence",
                    "exported",
                    case_id,
                    f"export {export_id} of trace {trace_id} at {folder}: {export.frames} "
                    f"frames, {export.clips} clips, {export.blurred_faces} blurred faces",
                ),
            )
    except BaseException:
        if recorded:
            store.forget_case_export(export_id)  # nothing was written there
        raise
    return export


def evidence_file(ctx: Context, case_id: str, export_id: str, name: str) -> Path:
    """A file of one of the caller's evidence exports, for download: only the names its
    manifest lists (or the manifest itself), in the recorded folder, never a link."""
    require_case(ctx, "export_evidence", case_id)
    store = ctx.store
    export = next((e for e in store.case_exports(case_id) if e.export_id == export_id), None)
    if export is None or export.outcome is not None:
        raise NotFoundError(f"case {case_id} has no evidence export {export_id!r}")
    found = inspect_export(export)
    if found.state != "ours":
        raise NotFoundError(
            f"evidence export {export_id} of case {case_id} is gone or was altered on disk"
        )
    path = Path(export.path) / name
    if (name != MANIFEST and name not in found.listed) or path.is_symlink() or not path.is_file():
        raise NotFoundError(f"evidence export {export_id} has no file {name!r}; see its manifest")
    record(
        ctx, AuditEvent("download_evidence", "downloaded", case_id, f"export {export_id}: {name}")
    )
    return path


def list_exports(ctx: Context, case_id: str) -> EvidenceExportsOut:
    """The case's evidence exports still on disk and provably its own, oldest first, with
    what each file shows (from the manifest; the files themselves go through
    `evidence_file`, which audits each download)."""
    require_case(ctx, "view_case", case_id)
    out = []
    for export in ctx.store.case_exports(case_id):
        if export.outcome is not None or inspect_export(export).state != "ours":
            continue
        try:
            manifest = json.loads((Path(export.path) / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        files = []
        for f in manifest.get("files", []):
            try:
                files.append(EvidenceFileOut.model_validate(_file_fields(f)))
            except ValueError:
                continue  # an entry this version cannot read is left out, not guessed
        out.append(
            EvidenceExportOut(
                export_id=export.export_id,
                trace_id=_str_or_none(manifest.get("trace_id")),
                unblurred_contact=_str_or_none(manifest.get("unblurred_contact")),
                created_at=None if export.created_at is None else export.created_at.isoformat(),
                files=files,
            )
        )
    return EvidenceExportsOut(exports=out)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _file_fields(entry: object) -> dict[str, object]:
    if not isinstance(entry, dict):
        raise ValueError("not a manifest entry")
    keys = EvidenceFileOut.model_fields.keys()
    fields = {k: entry.get(k) for k in keys}
    fields["whole_frame_blurred"] = bool(entry.get("whole_frame_blurred", False))
    return fields
