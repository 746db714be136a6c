"""Commands for auditors: read and verify the tamper-evident log."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, open_store, print_json, run
from cctrace.schemas import AuditEntryOut, AuditLogOut, AuditVerifyOut

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
        with open_store(home, token, "read_audit") as session:
            rows = session.store.audit_entries(case)
        return AuditLogOut(
            entries=[
                AuditEntryOut(
                    seq=e.seq,
                    at=e.at.isoformat(),
                    actor=e.actor,
                    role=e.role,
                    action=e.action,
                    case_id=e.case_id,
                    target=e.target,
                    outcome=e.outcome,
                    prev_hash=e.prev_hash,
                    hash=e.hash,
                )
                for e in rows
            ]
        )

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
        with open_store(home, token, "read_audit") as session:
            report = session.store.verify_audit()
        return (
            AuditVerifyOut(ok=report.ok, entries=report.entries, first_bad=report.first_bad),
            report.reason,
        )

    out, reason = run(work)
    if json_out:
        print_json(out)
    else:
        Console().print(f"audit log: {out.entries} entries, {reason}")
    if not out.ok:
        typer.echo(f"error: the audit log was tampered with: {reason}", err=True)
        raise typer.Exit(1)
