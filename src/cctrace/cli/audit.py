"""Commands for auditors: read and verify the tamper-evident log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, print_json, run
from cctrace.schemas import AuditLogOut, AuditVerifyOut
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
    table = Table("seq", "time (UTC)", "actor", "role", "action", "case", "outcome")
    for e in out.entries:
        table.add_row(str(e.seq), e.at[:19], e.actor, e.role, e.action, e.case_id or "", e.outcome)
    Console().print(table)


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
