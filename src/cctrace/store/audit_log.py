"""The tamper-evident audit log: every entry carries the SHA-256 of the one before.

An entry's hash covers its sequence number, time, actor, role, action, case, target,
outcome and the previous entry's hash, so editing, deleting, inserting or reordering
any entry breaks the chain from there on. Truncating the newest entries leaves a valid
but shorter chain: an *anchor* file beside the database (``audit.anchor``) holds the
latest sequence number and hash, written after every append, and verification compares
the chain's head with it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cctrace.store.models import AuditRow

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    case_id: str | None
    target: str
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    first_bad: int | None
    reason: str


def entry_hash(
    seq: int,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    case_id: str | None,
    target: str,
    outcome: str,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            seq,
            at.astimezone(UTC).isoformat(),
            actor,
            role,
            action,
            case_id,
            target,
            outcome,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def anchor_path(db_dir: Path) -> Path:
    return db_dir / "audit.anchor"


def append(
    session: Session,
    actor: str,
    role: str,
    action: str,
    outcome: str,
    case_id: str | None = None,
    target: str = "",
) -> AuditEntry:
    """Add one entry in the caller's transaction (write the anchor after it commits)."""
    last = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = datetime.now(UTC)
    h = entry_hash(seq, at, actor, role, action, case_id, target, outcome, prev)
    session.add(
        AuditRow(
            seq=seq,
            at=at,
            actor=actor,
            role=role,
            action=action,
            case_id=case_id,
            target=target,
            outcome=outcome,
            prev_hash=prev,
            hash=h,
        )
    )
    session.flush()
    return AuditEntry(seq, at, actor, role, action, case_id, target, outcome, prev, h)


def anchor_matches(session: Session, anchor: Path) -> bool:
    """Whether the anchor still names the chain's current head (nothing was cut off).

    Only then may an append move the anchor: otherwise a truncation would be hidden by
    the next entry, so the anchor is left pointing at the lost head as evidence."""
    last = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    if not anchor.is_file():
        return last is None
    try:
        head = json.loads(anchor.read_text())
        return last is not None and int(head["seq"]) == last.seq and head["hash"] == last.hash
    except (ValueError, KeyError, TypeError):
        return False


def write_anchor(anchor: Path, entry: AuditEntry) -> None:
    tmp = anchor.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seq": entry.seq, "hash": entry.hash}))
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.replace(anchor)


def entries(session: Session, case_id: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditRow).order_by(AuditRow.seq)
    if case_id is not None:
        stmt = stmt.where(AuditRow.case_id == case_id)
    return [
        AuditEntry(
            r.seq,
            r.at,
            r.actor,
            r.role,
            r.action,
            r.case_id,
            r.target,
            r.outcome,
            r.prev_hash,
            r.hash,
        )
        for r in session.scalars(stmt)
    ]


def verify(all_entries: list[AuditEntry], anchor: Path) -> VerifyReport:
    """Check the whole chain and its head against the anchor; the first bad seq if any."""
    prev = GENESIS
    for i, e in enumerate(all_entries, start=1):
        expected = entry_hash(
            e.seq, e.at, e.actor, e.role, e.action, e.case_id, e.target, e.outcome, prev
        )
        if e.seq != i:
            return VerifyReport(
                False,
                len(all_entries),
                i,
                f"entry {i} is missing or out of order (found seq {e.seq})",
            )
        if e.prev_hash != prev or e.hash != expected:
            return VerifyReport(False, len(all_entries), i, f"entry {i} was altered")
        prev = e.hash
    if anchor.is_file():
        try:
            head = json.loads(anchor.read_text())
            head_seq, head_hash = int(head["seq"]), str(head["hash"])
        except (ValueError, KeyError, TypeError):
            return VerifyReport(False, len(all_entries), None, f"anchor {anchor} is unreadable")
        if head_seq > len(all_entries):
            return VerifyReport(
                False,
                len(all_entries),
                len(all_entries) + 1,
                f"entries {len(all_entries) + 1}..{head_seq} were removed "
                "(the log is shorter than its anchor)",
            )
        if all_entries and all_entries[head_seq - 1].hash != head_hash:
            return VerifyReport(
                False, len(all_entries), head_seq, f"entry {head_seq} does not match the anchor"
            )
    elif all_entries:
        return VerifyReport(False, len(all_entries), None, f"anchor {anchor} is missing")
    return VerifyReport(True, len(all_entries), None, "intact")
