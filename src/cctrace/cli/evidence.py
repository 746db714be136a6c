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
    out: Annotated[Path, typer.Option("--out", help="A new or empty folder for the export.")],
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
    from cctrace.privacy.roles import authorize
    from cctrace.report.evidence import (
        EvidenceOptions,
        RedactionFaceDetector,
        check_out_dir,
        staged,
        write_evidence,
    )
    from cctrace.store.vector_index import FlatFaceIndex
    from cctrace.trace.cases import case_query
    from cctrace.trace.engine import trace_cases

    def work() -> EvidenceOut:
        why = (reason or "").strip()
        if unblur is not None and not why:
            raise InputError("--unblur needs a --reason (it is written to the audit log)")
        if reason is not None and unblur is None:
            raise InputError("--reason goes with --unblur CONTACT_ID")
        chosen = get_policy(policy)
        check_out_dir(out)
        with open_store(home, token, "export_evidence") as session:
            store, user = session.store, session.user
            if unblur is not None:
                try:
                    authorize(user, "unblur")
                except AuthError:
                    store.audit(user.name, user.role, "unblur", "refused: missing right", case_id)
                    raise
            query = case_query(store, user, case_id)
            index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
            [result] = trace_cases(store, index, [query], chosen)
            with staged(out) as tmp:
                export = write_evidence(
                    store,
                    result,
                    tmp,
                    RedactionFaceDetector(),
                    EvidenceOptions(clips=clips),
                    unblur,
                )
                # Logged before the files appear: no export exists that the log lacks.
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
                    f"{out.absolute()}: {export.frames} frames, {export.clips} clips, "
                    f"{export.blurred_faces} blurred faces",
                )
        return EvidenceOut(
            case_id=case_id,
            out=str(out.absolute()),
            frames=export.frames,
            clips=export.clips,
            blurred_faces=export.blurred_faces,
            unblurred_contact=unblur,
        )

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
