"""Commands that keep biometric data no longer than needed: retention, purge, key rotation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, err, print_json, run
from cctrace.schemas import KeyRotateOut, PurgeOut, RetentionOut
from cctrace.store.records import ResealCounts

retention_app = typer.Typer(
    help="Show or set how long biometric data is kept (admin).", no_args_is_help=True
)
keys_app = typer.Typer(help="Manage the encryption key (admin).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.command("purge")(purge)
    app.add_typer(keys_app, name="keys")


@retention_app.command("show")
def retention_show(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """Print the retention period in days."""
    from cctrace.services.retention import show_retention

    def work() -> RetentionOut:
        with context(home, token, "manage_retention") as ctx:
            return show_retention(ctx)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"retention period: {out.retention_days} days" + (" (default)" * out.default))


@retention_app.command("set")
def retention_set(
    days: Annotated[int, typer.Argument(help="Keep biometric data this many days (1-3650).")],
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change the retention period; `cctrace purge` applies it."""
    from cctrace.services.retention import set_retention

    def work() -> RetentionOut:
        with context(home, token, "manage_retention") as ctx:
            return set_retention(ctx, days)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(f"retention period set to {out.retention_days} days")


def purge(
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            help="Purge what is older than DAYS instead of the retention period; 0: everything.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be purged; change nothing.")
    ] = False,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Delete every biometric record older than the retention period (admin; `cctrace
    serve` runs it daily)."""
    from cctrace.services.retention import purge as purge_service

    def work() -> PurgeOut:
        with context(home, token, "manage_retention") as ctx:
            return purge_service(ctx, older_than, dry_run)

    out = run(work)
    if json_out:
        print_json(out)
        return
    verb = "would purge" if out.dry_run else "purged"
    scope = "everything" if out.everything else f"what started before {out.cutoff}"
    Console().print(
        f"{verb} {out.sightings} sightings ({scope}); index days dropped: "
        f"{', '.join(out.days_dropped) or 'none'}; rebuilt: {', '.join(out.days_rebuilt) or 'none'}"
        f"; {out.bytes_freed} bytes; {out.trace_results_destroyed} saved trace results"
    )
    if out.cases_closed:
        closed = "would close" if out.dry_run else "closed"
        Console().print(
            f"{closed} {len(out.cases_closed)} cases open longer than max_case_open_days: "
            f"{', '.join(out.cases_closed)}"
        )


@keys_app.command("rotate")
def keys_rotate(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """Re-encrypt every biometric record under a new key, then destroy the old key.

    Readers keep working meanwhile; if interrupted, run it again to finish.
    """
    from cctrace.services.keys import rotate

    def progress(what: str, counts: ResealCounts) -> None:
        if not json_out:
            err.print(f"{what}: {counts.resealed} re-encrypted, {counts.scanned} checked")

    def work() -> KeyRotateOut:
        with context(home, token, "rotate_keys") as ctx:
            return rotate(ctx, progress)

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"key {out.new_key_id} now encrypts everything ({out.sightings_reencrypted} sightings, "
        f"{out.case_references_reencrypted} case references, {out.index_days_reencrypted} "
        f"index days re-encrypted); old key {', '.join(out.old_key_ids) or '-'} destroyed"
    )
