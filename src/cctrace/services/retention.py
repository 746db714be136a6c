"""Retention: how long biometric data is kept, and the purge that applies it."""

from __future__ import annotations

from cctrace.privacy.retention import check_days, retention_days, set_retention_days
from cctrace.privacy.retention import purge as purge_records
from cctrace.schemas import PurgeOut, RetentionOut, RetentionStatusOut
from cctrace.services.auth import Context, authorize
from cctrace.store.vector_index import FlatFaceIndex

LAST_PURGE = "last_purge_at"
"""The setting a purge writes its time to (`Store.purge_sightings`)."""


def show_retention(ctx: Context) -> RetentionOut:
    authorize(ctx, "manage_retention")
    days, default = retention_days(ctx.store)
    return RetentionOut(retention_days=days, default=default)


def retention_status(ctx: Context) -> RetentionStatusOut:
    """The retention period and when the last purge ran."""
    authorize(ctx, "manage_retention")
    days, default = retention_days(ctx.store)
    return RetentionStatusOut(
        retention_days=days, default=default, last_purge_at=ctx.store.get_setting(LAST_PURGE)
    )


def set_retention(ctx: Context, days: int) -> RetentionOut:
    check_days(days, "the retention period", 1)  # bad input: refuse before anything
    authorize(ctx, "manage_retention")
    set_retention_days(ctx.store, ctx.principal.user, days)
    return RetentionOut(retention_days=days, default=False)


def purge(ctx: Context, older_than_days: int | None = None, dry_run: bool = False) -> PurgeOut:
    """Delete every biometric record older than the retention period (or the given days)."""
    if older_than_days is not None:
        check_days(older_than_days, "--older-than", 0)
    authorize(ctx, "manage_retention")
    store = ctx.store
    if not dry_run:
        store.check_writable()
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    r = purge_records(store, index, ctx.principal.user, older_than_days, dry_run)
    return PurgeOut(
        dry_run=r.dry_run,
        cutoff=r.cutoff.isoformat(),
        older_than_days=r.older_than_days,
        everything=r.everything,
        sightings=r.sightings,
        days_dropped=r.days_dropped,
        days_rebuilt=r.days_rebuilt,
        bytes_freed=r.bytes_freed,
        trace_results_destroyed=r.trace_results,
    )
