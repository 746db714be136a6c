"""Commands that keep biometric data no longer than needed: retention, purge, key rotation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, err, open_store, print_json, run
from cctrace.schemas import KeyRotateOut, PurgeOut, RetentionOut

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
    from cctrace.privacy.retention import retention_days

    def work() -> RetentionOut:
        with open_store(home, token, "manage_retention") as session:
            days, default = retention_days(session.store)
        return RetentionOut(retention_days=days, default=default)

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
    from cctrace.privacy.retention import check_days, set_retention_days

    def work() -> RetentionOut:
        check_days(days, "the retention period", 1)  # bad input: refuse before anything
        with open_store(home, token, "manage_retention") as session:
            set_retention_days(session.store, session.user, days)
        return RetentionOut(retention_days=days, default=False)

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
    """Delete every biometric record older than the retention period (admin; run daily)."""
    from cctrace.privacy.retention import check_days
    from cctrace.privacy.retention import purge as do_purge
    from cctrace.store.vector_index import FlatFaceIndex

    def work() -> PurgeOut:
        if older_than is not None:
            check_days(older_than, "--older-than", 0)
        with open_store(home, token, "manage_retention") as session:
            store = session.store
            if not dry_run:
                store.check_writable()
            index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
            r = do_purge(store, index, session.user, older_than, dry_run)
        return PurgeOut(
            dry_run=r.dry_run,
            cutoff=r.cutoff.isoformat(),
            older_than_days=r.older_than_days,
            everything=r.everything,
            sightings=r.sightings,
            days_dropped=r.days_dropped,
            days_rebuilt=r.days_rebuilt,
            bytes_freed=r.bytes_freed,
        )

    out = run(work)
    if json_out:
        print_json(out)
        return
    verb = "would purge" if out.dry_run else "purged"
    scope = "everything" if out.everything else f"what started before {out.cutoff}"
    Console().print(
        f"{verb} {out.sightings} sightings ({scope}); index days dropped: "
        f"{', '.join(out.days_dropped) or 'none'}; rebuilt: {', '.join(out.days_rebuilt) or 'none'}"
        f"; {out.bytes_freed} bytes"
    )


@keys_app.command("rotate")
def keys_rotate(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """Re-encrypt every biometric record under a new key, then destroy the old key.

    Readers keep working meanwhile; if interrupted, run it again to finish.
    """
    from cctrace.core.errors import CctraceError
    from cctrace.store.maintenance import rotate_keys
    from cctrace.store.records import ResealCounts
    from cctrace.store.vector_index import FlatFaceIndex

    def work() -> KeyRotateOut:
        with open_store(home, token, "rotate_keys") as session:
            store, user = session.store, session.user
            store.check_writable()
            index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)

            def progress(what: str, counts: ResealCounts) -> None:
                if not json_out:
                    err.print(f"{what}: {counts.resealed} re-encrypted, {counts.scanned} checked")

            try:
                r = rotate_keys(store, index, progress=progress)
            except CctraceError as exc:
                store.audit(user.name, user.role, "rotate_keys", f"failed: {exc.message}"[:200])
                raise
            store.audit(
                user.name,
                user.role,
                "rotate_keys",
                f"rotated: {r.sightings} sightings, {r.case_references} case references, "
                f"{r.index_days} index days re-encrypted; old key destroyed",
                target=f"key {r.new_key_id} replaces {', '.join(r.old_key_ids) or '-'}",
            )
        return KeyRotateOut(
            new_key_id=r.new_key_id,
            old_key_ids=r.old_key_ids,
            resumed=r.resumed,
            sightings_reencrypted=r.sightings,
            case_references_reencrypted=r.case_references,
            index_days_reencrypted=r.index_days,
            passes=r.passes,
        )

    out = run(work)
    if json_out:
        print_json(out)
        return
    Console().print(
        f"key {out.new_key_id} now encrypts everything ({out.sightings_reencrypted} sightings, "
        f"{out.case_references_reencrypted} case references, {out.index_days_reencrypted} "
        f"index days re-encrypted); old key {', '.join(out.old_key_ids) or '-'} destroyed"
    )
