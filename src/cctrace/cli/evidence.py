"""`cctrace evidence`: redacted frames and clips of a case's stays and encounters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, open_store, print_json, run
from cctrace.schemas import EvidenceOut


def register(app: typer.Typer) -> None:
    app.command("evidence")(evidence)


def evidence(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="Your case to export.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="A new or empty folder for the export "
            "(default: <home>/exports/CASE_ID/<export id>/).",
        ),
    ] = None,
    clips: Annotated[bool, typer.Option("--clips", help="Also write short MP4 clips.")] = False,
    unblur: Annotated[
        str | None,
        typer.Option("--unblur", metavar="CONTACT_ID", help="Leave this contact's face clear."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the contact is unblurred (logged).")
    ] = None,
    policy: Annotated[
        str, typer.Option(help="Contact policy of the trace: kdca-2022, cdc-2020 or who-2020.")
    ] = "kdca-2022",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export evidence frames of a case: the patient clear, every other face pixelated."""
    from cctrace.config import get_policy
    from cctrace.core.errors import AuthError, InputError
    from cctrace.privacy.exports import (
        case_export_lock,
        default_export_dir,
        new_export_id,
        refuse_if_closed,
    )
    from cctrace.privacy.roles import authorize
    from cctrace.report.evidence import (
        EvidenceExport,
        EvidenceOptions,
        RedactionFaceDetector,
        check_out_dir,
        staged,
        write_evidence,
    )
    from cctrace.store.records import CaseExport, User
    from cctrace.store.repository import Store
    from cctrace.store.vector_index import FlatFaceIndex
    from cctrace.trace.cases import case_query
    from cctrace.trace.engine import trace_cases
    from cctrace.trace.types import TraceResult

    def work() -> EvidenceOut:
        why = (reason or "").strip()
        if unblur is not None and not why:
            raise InputError("--unblur needs a --reason (it is written to the audit log)")
        if reason is not None and unblur is None:
            raise InputError("--reason goes with --unblur CONTACT_ID")
        chosen = get_policy(policy)
        if out is not None:
            check_out_dir(out)
        export_id = new_export_id()
        with open_store(home, token, "export_evidence") as session:
            store, user = session.store, session.user
            if unblur is not None:
                try:
                    authorize(user, "unblur")
                except AuthError:
                    store.audit(user.name, user.role, "unblur", "refused: missing right", case_id)
                    raise
            refuse_if_closed(store, user, case_id)
            # Unknown cases and other investigators' cases are refused (and audited) before
            # the lock, whose file would otherwise be left behind by a refused attempt.
            query = case_query(store, user, case_id, action="export_evidence")
            # Held while writing: the case cannot be closed under an export being written.
            with case_export_lock(store.home, case_id, exclusive=False):
                refuse_if_closed(store, user, case_id)  # closed since the check above
                folder = out or default_export_dir(store.home, case_id, export_id)
                if out is None:
                    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                folder = folder.absolute()
                index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
                [result] = trace_cases(store, index, [query], chosen)
                export = _write(store, user, result, folder, export_id, why)
        return EvidenceOut(
            case_id=case_id,
            out=str(folder),
            frames=export.frames,
            clips=export.clips,
            blurred_faces=export.blurred_faces,
            unblurred_contact=unblur,
            export_id=export_id,
        )

    def _write(
        store: Store, user: User, result: TraceResult, folder: Path, export_id: str, why: str
    ) -> EvidenceExport:
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
                )
                # Recorded and logged before the files appear: no export exists that the
                # log lacks, or that closing the case would not find.
                store.add_case_export(CaseExport(export_id, case_id, str(folder)))
                recorded = True
                if unblur is not None:
                    store.audit(
                        user.name,
                        user.role,
                        "unblur",
                        "unblurred",
                        case_id,
                        f"contact {unblur}; reason: {why}",
                    )
                store.audit(
                    user.name,
                    user.role,
                    "export_evidence",
                    "exported",
                    case_id,
                    f"export {export_id} at {folder}: {export.frames} frames, "
                    f"{export.clips} clips, {export.blurred_faces} blurred faces",
                )
        except BaseException:
            if recorded:
                store.forget_case_export(export_id)  # nothing was written there
            raise
        return export

    result = run(work)
    if json_out:
        print_json(result)
        return
    Console().print(
        f"case {result.case_id}: {result.frames} frames, {result.clips} clips written to "
        f"{result.out} ({result.blurred_faces} faces blurred"
        + (f"; contact {result.unblurred_contact} left clear" if result.unblurred_contact else "")
        + "); see manifest.json"
    )
