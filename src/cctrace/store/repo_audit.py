"""The audit log as the store keeps it: appends that move the anchor file, reads, checks.

The chain itself (hashing, anchor, verification) is `audit_log`; what is audited and
when is decided above the store.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from cctrace.core.errors import InputError
from cctrace.store import audit_log
from cctrace.store.audit_log import AuditEntry, VerifyReport
from cctrace.store.base import StoreBase


class AuditRepo(StoreBase):
    @property
    def audit_anchor(self) -> Path:
        """The anchor file beside a SQLite database: the chain's latest ``seq`` and hash
        (PostgreSQL keeps its anchor in the database, table ``audit_anchor``)."""
        return audit_log.anchor_path(self.home.root)

    def audit(
        self,
        actor: str,
        role: str,
        action: str,
        outcome: str,
        case_id: str | None = None,
        target: str = "",
    ) -> int:
        """Append one entry to the tamper-evident log and move its anchor; its ``seq``."""
        # Nothing happens unaudited: if the log cannot be written, the action stops here.
        try:
            if not self.home.uses_sqlite:
                with self._write() as session:
                    entry = audit_log.append_anchored(
                        session, actor, role, action, outcome, case_id, target
                    )
                return entry.seq
            # The file moves after the commit, so the folder lock keeps appenders in
            # order until then: else a slower one could write an older head over a newer.
            with _folder_lock(self.home.root):
                with self._write() as session:
                    intact = audit_log.anchor_matches(session, self.audit_anchor)
                    entry = audit_log.append(session, actor, role, action, outcome, case_id, target)
                if intact:
                    audit_log.write_anchor(self.audit_anchor, entry)
            return entry.seq
        except (OperationalError, OSError) as exc:
            raise InputError(
                f"data folder {self.home.root} is not writable, so the audit log cannot be "
                f"written ({exc.__class__.__name__}); fix its permissions"
            ) from None

    def audit_entries(self, case_id: str | None = None) -> list[AuditEntry]:
        """Every entry in ``seq`` order, or only those of one case."""
        with self._sessions() as session:
            return audit_log.entries(session, case_id)

    def verify_audit(self) -> VerifyReport:
        if self.home.uses_sqlite:
            return audit_log.verify(self.audit_entries(), self.audit_anchor)
        # One snapshot for the chain and its anchor: an append between two reads would
        # otherwise look like a mismatch.
        with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            entries = audit_log.entries(session)
            head = audit_log.table_head(session)
        return audit_log.verify_head(entries, head, "the audit_anchor row")


@contextmanager
def _folder_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on the data folder itself (no lock file to leave behind)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
