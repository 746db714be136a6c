"""Retention: how long biometric data is kept, and the purge that applies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cctrace.privacy.case_limits import case_limits
from cctrace.privacy.retention import check_days, close_case, retention_days, set_retention_days
from cctrace.privacy.retention import purge as purge_records
from cctrace.schemas import PurgeOut, RetentionOut, RetentionStatusOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
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
    closed = close_overdue_cases(ctx, dry_run)
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
        cases_closed=closed,
    )


def close_overdue_cases(ctx: Context, dry_run: bool = False) -> list[str]:
    """Close (as expired, exactly as `case close` does) every case left pending or approved
    longer than max_case_open_days; the ids closed (or, dry, that would be). Audited."""
    store = ctx.store
    days = case_limits(store).max_case_open_days
    overdue = store.cases_opened_before(datetime.now(UTC) - timedelta(days=days))
    if not dry_run:
        for case in overdue:
            record(
                ctx,
                AuditEvent("expire_case", "expired", case.case_id, f"open longer than {days} days"),
            )
            close_case(store, ctx.principal.user, case, "expired")
    return [c.case_id for c in overdue]
