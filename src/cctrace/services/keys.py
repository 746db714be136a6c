"""The encryption key: rotate it (re-encrypt everything, then destroy the old key)."""

from __future__ import annotations

from collections.abc import Callable

from cctrace.core.errors import CctraceError
from cctrace.schemas import KeyRotateOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.maintenance import rotate_keys
from cctrace.store.records import ResealCounts
from cctrace.store.vector_index import FlatFaceIndex


def rotate(
    ctx: Context, progress: Callable[[str, ResealCounts], None] | None = None
) -> KeyRotateOut:
    authorize(ctx, "rotate_keys")
    store = ctx.store
    store.check_writable()
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    try:
        r = rotate_keys(store, index, progress=progress)
    except CctraceError as exc:
        record(ctx, AuditEvent("rotate_keys", f"failed: {exc.message}"[:200]))
        raise
    record(
        ctx,
        AuditEvent(
            "rotate_keys",
            f"rotated: {r.sightings} sightings, {r.case_references} case references, "
            f"{r.trace_results} trace results, {r.index_days} index days re-encrypted; "
            "old key destroyed",
            target=f"key {r.new_key_id} replaces {', '.join(r.old_key_ids) or '-'}",
        ),
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
