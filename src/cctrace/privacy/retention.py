"""Retention: biometric data lives for the retention period, and a case's data for the case.

`purge` deletes every sighting that started before the cutoff (the retention period,
default 30 days, or ``--older-than DAYS``; 0 means every sighting). The whole row goes,
not only its biometric columns: without a face or an appearance a sighting can never be
linked to a patient again, and its floor path and times are still one person's
movements. Video rows stay (they hold no biometrics) so that re-ingesting the same file
does not bring the purged faces back. Order, so that a crash anywhere is finished by
running purge again:

1. one database transaction deletes the rows (all or none);
2. the face index forgets them: days with nothing left are dropped (segments zeroed,
   then unlinked), the day the cutoff falls in is rebuilt from the database, and any
   leftover of an earlier crash (half-dropped days, stale temporary segments) is wiped;
3. the database files are cleaned: ``secure_delete`` already zeroed the deleted cells;
   the write-ahead log is checkpointed and truncated, the file vacuumed, the log
   truncated again, so no copy of a purged blob remains in ``cctrace.db*``.

`close_case` destroys what was derived for a case (its reference embeddings, every
recorded evidence export still provably its own wherever it was written, the files under
its exports folder), marks it closed and keeps a summary without biometrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cctrace.core.errors import CctraceError, InputError
from cctrace.privacy.exports import (
    ExportRunningError,
    case_export_lock,
    destroy_export,
    inspect_export,
    remove_lock,
)
from cctrace.store.crypto import overwrite_and_unlink
from cctrace.store.db import WalBusyError
from cctrace.store.maintenance import maintenance_lock
from cctrace.store.records import CaseExport, CaseRecord, User
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex

DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
RETENTION_KEY = "retention_days"


# -- the setting ------------------------------------------------------------------------


def check_days(days: int, what: str, minimum: int) -> int:
    if not minimum <= days <= MAX_RETENTION_DAYS:
        raise InputError(
            f"{what} must be a whole number of days from {minimum} to {MAX_RETENTION_DAYS}, "
            f"got {days}"
        )
    return days


def retention_days(store: Store) -> tuple[int, bool]:
    """The retention period in days, and whether it is the default (never set)."""
    raw = store.get_setting(RETENTION_KEY)
    if raw is None:
        return DEFAULT_RETENTION_DAYS, True
    try:
        return check_days(int(raw), "the stored retention period", 1), False
    except (ValueError, InputError):
        raise InputError(
            f"the retention setting of {store.home.root} is damaged ({raw!r}): set it again "
            "with `cctrace retention set DAYS`"
        ) from None


def set_retention_days(store: Store, user: User, days: int) -> int:
    check_days(days, "the retention period", 1)
    before, _ = retention_days(store)
    store.set_setting(RETENTION_KEY, str(days), user.name)
    store.audit(
        user.name, user.role, "retention_set", "set", target=f"{before} days -> {days} days"
    )
    return days


# -- purge ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    dry_run: bool
    cutoff: datetime
    """Sightings that started before this were purged (with ``everything``: all of them)."""
    older_than_days: int
    everything: bool
    sightings: int
    days_dropped: list[str]
    days_rebuilt: list[str]
    bytes_freed: int
    """Encrypted biometric bytes removed from the database, plus index bytes removed
    (for a dry run: the database part and the days that would be dropped)."""
    trace_results: int
    """Saved trace results (routes, contacts) made before the cutoff, destroyed (their
    runs' counts stay)."""


def purge(
    store: Store,
    index: FlatFaceIndex,
    user: User,
    older_than_days: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Remove every biometric record older than the retention period (or the given days)."""
    days = retention_days(store)[0] if older_than_days is None else older_than_days
    check_days(days, "--older-than", 0)
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    everything = days == 0  # footage dated in the future (a wrong clock) goes too
    cutoff_s = None if everything else cutoff.timestamp()
    target = "everything" if everything else f"older than {days} days (before {cutoff:%FT%TZ})"
    try:
        with maintenance_lock(store.home):
            report = _purge(store, index, user, days, cutoff, cutoff_s, dry_run)
    except CctraceError as exc:
        store.audit(user.name, user.role, "purge", f"failed: {exc.message}"[:200], target=target)
        raise
    if dry_run:
        outcome = f"dry run: would purge {report.sightings} sightings"
    else:
        outcome = f"purged {report.sightings} sightings"
    outcome += f", {len(report.days_dropped)} index days, {report.bytes_freed} bytes"
    store.audit(user.name, user.role, "purge", outcome, target=target)
    return report


def _purge(
    store: Store,
    index: FlatFaceIndex,
    user: User,
    days: int,
    cutoff: datetime,
    cutoff_s: float | None,
    dry_run: bool,
) -> PurgeReport:
    counts = store.purge_sightings(cutoff_s, dry_run, user.name)
    # A trace result is derived from the sightings it names: it lives no longer than they.
    made_before = datetime.now(UTC) + timedelta(days=1) if cutoff_s is None else cutoff
    if dry_run:
        trace_results = store.count_trace_results(made_before)
    else:
        trace_results = store.destroy_trace_results(created_before=made_before)
    freed = counts.blob_bytes
    if not dry_run:
        freed += index.wipe_leftovers()
    cutoff_day = None if cutoff_s is None else utc_day(cutoff_s)
    truth = store.face_counts_by_day()
    touched = {d for d, n in counts.faces_by_day.items() if n}
    dropped: list[str] = []
    rebuilt: list[str] = []
    for day in index.days():
        if cutoff_day is not None and day > cutoff_day:
            continue  # newer than the cutoff: nothing of it was purged
        left = truth.get(day, 0) - (counts.faces_by_day.get(day, 0) if dry_run else 0)
        if left <= 0:
            dropped.append(day)
            freed += index.day_bytes(day) if dry_run else index.drop_day(day)
        elif day in touched or (not dry_run and index.count(day) != left):
            rebuilt.append(day)
            if not dry_run:
                before = index.day_bytes(day)
                index.rebuild_day(day, store.day_faces(day))
                freed += max(0, before - index.day_bytes(day))
    if not dry_run:
        try:
            store.wipe_free_space()
        except WalBusyError:
            raise CctraceError(
                f"the purge of {store.home.root} is committed, but another process kept the "
                "database's write-ahead log open, so copies of purged rows may remain in "
                f"{store.home.db_path}-wal: run `cctrace purge` again when it has finished"
            ) from None
    return PurgeReport(
        dry_run=dry_run,
        cutoff=cutoff,
        older_than_days=days,
        everything=cutoff_s is None,
        sightings=counts.sightings,
        days_dropped=dropped,
        days_rebuilt=rebuilt,
        bytes_freed=freed,
        trace_results=trace_results,
    )


# -- case closure -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseClosure:
    case_id: str
    already_closed: bool
    references_destroyed: int
    export_files_destroyed: int
    summary: dict[str, object]
    exports_destroyed: int = 0
    """Recorded evidence exports destroyed by this run (their manifest proved them ours)."""
    exports_already_gone: int = 0
    """Recorded exports whose folder no longer exists (moved off: outside cctrace's reach)."""
    exports_left_alone: tuple[str, ...] = ()
    """Folders of recorded exports that exist but are not provably ours: not touched."""


def close_case(
    store: Store,
    user: User,
    case: CaseRecord,
    reason: str = "closed",
    withdrawal_reason: str | None = None,
) -> CaseClosure:
    """Destroy what was derived for a case and close it; a rerun finishes an interrupted one.

    ``reason``: closed (by its owner), withdrawn (the patient withdrew consent:
    ``withdrawal_reason`` says what was recorded) or expired (open too long). Who may close
    it is decided before, by `cctrace.services.auth.authorize`."""
    case_id = case.case_id
    try:
        with case_export_lock(store.home, case_id, exclusive=True):
            return _close_case(
                store, user, case_id, case.status == "closed", reason, withdrawal_reason
            )
    except ExportRunningError:
        store.audit(
            user.name, user.role, "close_case", "refused: an export is being written", case_id
        )
        raise


def _close_case(
    store: Store,
    user: User,
    case_id: str,
    already: bool,
    reason: str = "closed",
    withdrawal_reason: str | None = None,
) -> CaseClosure:
    exports = store.home.case_exports_dir(case_id)
    # 1. Every recorded export that is provably ours (wherever --out put it) is destroyed.
    destroyed, gone, export_files = 0, 0, 0
    left: list[str] = []

    def record(export: CaseExport, outcome: str | None, what: str) -> None:
        """Settle ``export`` (unless ``outcome`` is None) and audit what became of it."""
        if outcome is not None:
            store.settle_case_export(export.export_id, outcome)
        target = f"export {export.export_id} at {export.path}"
        store.audit(user.name, user.role, "destroy_export", what, case_id, target)

    for export in store.case_exports(case_id):
        if export.outcome is not None:
            continue  # settled by an earlier run
        found = inspect_export(export)
        if found.state == "ours":
            n = destroy_export(found)
            export_files += n
            destroyed += 1
            record(export, "destroyed", f"destroyed: {n} files")
        elif found.state == "gone":
            gone += 1
            record(export, "gone", "already gone: the folder was moved off or deleted")
        elif Path(export.path).is_relative_to(exports):
            pass  # inside the case's own exports folder: wiped with it below
        else:
            left.append(export.path)
            record(export, None, "left alone: its manifest does not name this case and export")
    # 2. The case's references go and it is marked closed, with a summary.
    files = _files_under(exports)
    refs = 0
    if not already:
        summary = _summary(store, case_id, export_files + len(files))
        refs = store.close_case_record(
            case_id, json.dumps(summary, sort_keys=True), reason, withdrawal_reason
        )
    # Every run's route and contacts go (a rerun finishes an interrupted closure); the
    # runs' counts stay for the summary.
    results = store.destroy_trace_results(case_id=case_id)
    # 3. Whatever is left in its own exports folder.
    for f in files:
        if f.is_symlink():
            f.unlink()  # never follow a link out of the exports folder
        else:
            overwrite_and_unlink(f)
    _remove_empty_tree(exports)
    for export in store.case_exports(case_id):
        if export.outcome is None and Path(export.path).is_relative_to(exports):
            destroyed += 1
            record(export, "destroyed", "destroyed with the case's exports folder")
    remove_lock(store.home, case_id)
    try:
        store.wipe_free_space()
    except WalBusyError:
        raise CctraceError(
            f"case {case_id} is closed, but another process kept the database's write-ahead "
            f"log open, so copies of its reference embeddings may remain in "
            f"{store.home.db_path}-wal: run `cctrace case close {case_id}` again later"
        ) from None
    store.audit(
        user.name,
        user.role,
        "close_case",
        f"{reason}: {refs} reference embeddings, {results} trace results, "
        f"{export_files + len(files)} export files destroyed",
        case_id,
    )
    raw = store.case_summary(case_id)
    return CaseClosure(
        case_id=case_id,
        already_closed=already,
        references_destroyed=refs,
        export_files_destroyed=export_files + len(files),
        summary=json.loads(raw) if raw else {},
        exports_destroyed=destroyed,
        exports_already_gone=gone,
        exports_left_alone=tuple(left),
    )


def _summary(store: Store, case_id: str, export_files: int) -> dict[str, object]:
    """What the case was, without biometrics: dates, consent hash, counts."""
    case = store.get_case(case_id)
    assert case is not None
    exports = store.case_exports(case_id)
    own = store.home.case_exports_dir(case_id)  # what is left there is wiped with it
    # Counts come from the saved runs themselves, never from audit text.
    traces = store.trace_runs(case_id)
    last: dict[str, object] | None = None
    if traces:
        run = traces[-1]
        last = {
            "at": run.created_at.isoformat(),
            "trace_id": run.trace_id,
            "policy": run.policy,
            "stays": run.stays,
            "contacts": run.contacts,
        }
    return {
        "case_id": case_id,
        "label": case.label,
        "opened_at": None if case.created_at is None else case.created_at.isoformat(),
        "closed_at": datetime.now(UTC).isoformat(),
        "consent_date": case.consent_date.isoformat(),
        "consent_sha256": case.consent_sha256,
        "window_from": datetime.fromtimestamp(case.t_from_s, UTC).isoformat(),
        "window_to": datetime.fromtimestamp(case.t_to_s, UTC).isoformat(),
        "site": case.site,
        "cameras": None if case.camera_ids is None else len(case.camera_ids),
        "reference_faces": len(store.case_references(case_id)),
        "traces": len(traces),
        "last_trace": last,
        "export_files_destroyed": export_files,
        # Recorded evidence exports, wherever written: destroyed, or already moved off.
        "exports_destroyed": sum(
            e.outcome == "destroyed" or (e.outcome is None and Path(e.path).is_relative_to(own))
            for e in exports
        ),
        "exports_already_gone": sum(e.outcome == "gone" for e in exports),
    }


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def _remove_empty_tree(folder: Path) -> None:
    if not folder.is_dir():
        return
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        d.rmdir()
    folder.rmdir()
