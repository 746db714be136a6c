"""`cctrace report`: the printable report of a saved trace run (PDF, HTML, CSV, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, print_json, run
from cctrace.schemas import ReportOut


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID", help="Your case.")],
    fmt: Annotated[str, typer.Option("--format", help="pdf, html, csv or json.")] = "pdf",
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (must not exist yet).")
    ] = None,
    trace_id: Annotated[
        str | None,
        typer.Option("--trace", metavar="TRACE_ID", help="Saved trace run (default: the latest)."),
    ] = None,
    table: Annotated[
        str, typer.Option("--table", help="For CSV: contacts (default) or route.")
    ] = "contacts",
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write the report of a saved trace: route, site map, contacts, redacted evidence."""
    from cctrace.core.errors import InputError
    from cctrace.services.reports import report as make_report

    def work() -> ReportOut:
        if out is None:
            raise InputError("give the report's file with --out (e.g. --out case-report.pdf)")
        if out.exists():
            raise InputError(f"{out} already exists: give a new file name")
        if not out.parent.is_dir():
            raise InputError(f"{out.parent}: no such folder; create it or choose another")
        with context(home, token, "export_report") as ctx:
            made = make_report(ctx, case_id, trace_id, fmt, table)
        # Written whole or not at all: a reader never finds half a report.
        tmp = out.with_name(f".{out.name}.partial")
        try:
            tmp.write_bytes(made.content)
            tmp.chmod(0o600)
            tmp.replace(out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"{out}: cannot write it ({exc.strerror})") from None
        return ReportOut(
            case_id=case_id,
            trace_id=made.trace_id,
            report_id=made.report_id,
            format=fmt,
            out=str(out),
            bytes=len(made.content),
            audit_seq=made.audit_seq,
        )

    result = run(work)
    if json_out:
        print_json(result)
        return
    Console().print(
        f"report {result.report_id} of trace {result.trace_id} written to {result.out} "
        f"({result.bytes:,} bytes; audit entry {result.audit_seq})"
    )
