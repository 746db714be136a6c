"""The tamper-evident audit log: every entry carries the SHA-256 of the one before.

An entry's hash covers its sequence number, time, actor, role, action, case, target,
outcome and the previous entry's hash, so editing, deleting, inserting or reordering
any entry breaks the chain from there on. Truncating the newest entries leaves a valid
but shorter chain: an *anchor* holds the latest sequence number and hash, moved by every
append, and verification compares the chain's head with it. On SQLite the anchor is a
file beside the database (``audit.anchor``); on PostgreSQL, where API workers and
ingestion writers on several hosts append to one log, it is the one row of table
``audit_anchor``, moved in the append's own transaction, so every host sees it.

Several writers at once: the sequence number is the database's last one plus one, read
under a lock that orders appenders (SQLite: the write lock, ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-scoped advisory lock), so no two entries get one number and
each entry chains to the one committed before it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cctrace.store.models import AuditAnchorRow, AuditRow

GENESIS = "0" * 64
CHAIN_LOCK_KEY = 0x63637472_61756469  # "cctraudi": the advisory lock of the chain (PostgreSQL)
ANCHOR_ROW_ID = 1


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
    """Add one entry in the caller's transaction (write the anchor after it commits).

    On PostgreSQL this takes the chain's lock first, held until the transaction ends."""
    lock_chain(session)
    # Fitted to the columns before hashing: PostgreSQL refuses an over-long value (SQLite
    # stores it), and an audit entry that cannot be written stops the action it records.
    actor, role, action, outcome = (
        _fit(actor, 200),
        _fit(role, 20),
        _fit(action, 40),
        _fit(outcome, 200),
    )
    case_id = None if case_id is None else _fit(case_id, 40)
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


def _fit(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def lock_chain(session: Session) -> None:
    """Order appenders on PostgreSQL: READ COMMITTED lets two transactions read the same
    last entry, so both would take its ``seq + 1``. The advisory lock is held until the
    transaction ends, across every connection and host of the server. (SQLite's write
    transactions already begin with the database's write lock.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def append_anchored(
    session: Session,
    actor: str,
    role: str,
    action: str,
    outcome: str,
    case_id: str | None = None,
    target: str = "",
) -> AuditEntry:
    """`append`, and move the anchor row in the same transaction (the database anchor)."""
    lock_chain(session)
    last = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    head = session.get(AuditAnchorRow, ANCHOR_ROW_ID)
    intact = (
        last is None and head is None
        if head is None or last is None
        else (head.seq == last.seq and head.hash == last.hash)
    )
    entry = append(session, actor, role, action, outcome, case_id, target)
    # As with the file: an anchor that no longer names the head is left as evidence.
    if intact:
        session.merge(AuditAnchorRow(id=ANCHOR_ROW_ID, seq=entry.seq, hash=entry.hash))
        session.flush()
    return entry


def table_head(session: Session) -> tuple[int, str] | None:
    """The anchor row's ``(seq, hash)``, or None when there is none."""
    head = session.get(AuditAnchorRow, ANCHOR_ROW_ID)
    return None if head is None else (head.seq, head.hash)


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
    """Check the whole chain and its head against the anchor file; the first bad seq."""
    if not anchor.is_file():
        return verify_head(all_entries, None, f"anchor {anchor}")
    try:
        head = json.loads(anchor.read_text())
        head_seq, head_hash = int(head["seq"]), str(head["hash"])
    except (ValueError, KeyError, TypeError):
        return VerifyReport(False, len(all_entries), None, f"anchor {anchor} is unreadable")
    return verify_head(all_entries, (head_seq, head_hash), f"anchor {anchor}")


def verify_head(
    all_entries: list[AuditEntry], head: tuple[int, str] | None, where: str
) -> VerifyReport:
    """Check the whole chain, then its head against ``head`` (``(seq, hash)`` of the
    anchor, None when there is none; ``where`` names it in the reason)."""
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
    if head is not None:
        head_seq, head_hash = head
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
        return VerifyReport(False, len(all_entries), None, f"{where} is missing")
    return VerifyReport(True, len(all_entries), None, "intact")
