"""Commands for auditors: read and verify the tamper-evident log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, print_json, run
from cctrace.cli.tables import Col, show, utc_minute, utc_second
from cctrace.schemas import AuditLogOut, AuditReportOut, AuditVerifyOut
from cctrace.services import audit

audit_app = typer.Typer(help="Read and verify the audit log (auditor).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("log")
def audit_log(
    case: Annotated[str | None, typer.Option("--case", help="Only this case's entries.")] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every audited action, oldest first."""

    def work() -> AuditLogOut:
        with context(home, token, "read_audit") as ctx:
            return audit.audit_log(ctx, case)

    out = run(work)
    if json_out:
        print_json(out)
        return
    cols = [
        Col("seq", whole=True),
        Col("time (UTC)", whole=True),
        Col("who"),
        Col("action"),
        Col("case", whole=True),
        Col("outcome"),
    ]
    # Day over clock and actor over role: one line each would not fit 80 columns.
    rows = [
        [
            str(e.seq),
            utc_second(e.at).replace(" ", "\n"),
            f"{e.actor}\n({e.role})",
            e.action,
            e.case_id or "",
            e.outcome,
        ]
        for e in out.entries
    ]
    show(Console(), cols, rows)


@audit_app.command("verify")
def audit_verify(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """Exit 0 when the chain is intact, 1 naming the first bad entry otherwise."""

    def work() -> tuple[AuditVerifyOut, str]:
        with context(home, token, "read_audit") as ctx:
            return audit.verify(ctx)

    out, reason = run(work)
    if json_out:
        print_json(out)
    else:
        Console().print(f"audit log: {out.entries} entries, {reason}")
    if not out.ok:
        typer.echo(f"error: the audit log was tampered with: {reason}", err=True)
        raise typer.Exit(1)


@audit_app.command("report")
def audit_report(
    t_from: Annotated[
        str | None, typer.Option("--from", help="Cases opened from this time (ISO 8601).")
    ] = None,
    t_to: Annotated[
        str | None, typer.Option("--to", help="Cases opened before this time (ISO 8601).")
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Per investigator: cases opened, approved, rejected, traced, exported, unblurred and
    closed, their windows and regions, hours to approval and to closure, and outliers."""
    from cctrace.privacy.consent import parse_time

    def work() -> AuditReportOut:
        since = None if t_from is None else parse_time(t_from, "--from", "from")
        until = None if t_to is None else parse_time(t_to, "--to", "to")
        with context(home, token, "read_audit") as ctx:
            return audit.audit_report(ctx, since, until)

    out = run(work)
    if json_out:
        print_json(out)
        return
    console = Console()
    counts = (
        "opened",
        "approved",
        "rejected",
        "traced",
        "exported",
        "unblurred",
        "closed",
        "withdrawn",
    )
    rows = [
        [
            a.investigator,
            *(
                str(n)
                for n in (
                    a.opened,
                    a.approved,
                    a.rejected,
                    a.traced,
                    a.exported,
                    a.unblurred,
                    a.closed,
                    a.withdrawn,
                )
            ),
        ]
        for a in out.investigators
    ]
    cols = [Col("investigator"), *(Col(k, whole=True) for k in counts)]
    show(console, cols, rows, title="cases by investigator")
    cols = [
        Col("case", whole=True),
        Col("investigator"),
        Col("status"),
        Col("window (UTC)", whole=True),
        Col("days", whole=True),
        Col("region"),
        Col("to decision", whole=True),
        Col("to closure", whole=True),
    ]
    rows = [
        [
            c.case_id,
            a.investigator,
            c.status if c.closed_reason is None else f"{c.status} ({c.closed_reason})",
            f"{utc_minute(c.window_from)}\n{utc_minute(c.window_to)}",
            f"{c.window_days:.1f}",
            c.region,
            "pending" if c.hours_to_decision is None else f"{c.hours_to_decision:.1f} h",
            "open" if c.hours_to_closure is None else f"{c.hours_to_closure:.1f} h",
        ]
        for a in out.investigators
        for c in a.cases
    ]
    show(console, cols, rows)
    if not out.flags:
        console.print("no outliers flagged")
    for f in out.flags:
        where = f" case {f.case_id}" if f.case_id else ""
        console.print(f"flag {f.kind}: {f.investigator}{where}: {f.detail}")
