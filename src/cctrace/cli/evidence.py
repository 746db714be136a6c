"""`cctrace evidence`: redacted frames and clips of a case's stays and encounters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, print_json, run
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
    trace_id: Annotated[
        str | None,
        typer.Option("--trace", metavar="TRACE_ID", help="Saved trace run (default: the latest)."),
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export evidence frames of a saved trace: the patient clear, every other face
    pixelated."""
    from cctrace.services.evidence import export_evidence

    def work() -> EvidenceOut:
        with context(home, token, "export_evidence") as ctx:
            return export_evidence(ctx, case_id, trace_id, out, clips, unblur, reason)

    result = run(work)
    if json_out:
        print_json(result)
        return
    Console().print(
        f"case {result.case_id}, trace {result.trace_id}: {result.frames} frames, "
        f"{result.clips} clips written to "
        f"{result.out} ({result.blurred_faces} faces blurred"
        + (f"; contact {result.unblurred_contact} left clear" if result.unblurred_contact else "")
        + "); see manifest.json"
    )
