"""The audit log as the store keeps it: appends that move the anchor file, reads, checks.

The chain itself (hashing, anchor, verification) is `audit_log`; what is audited and
when is decided above the store.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import OperationalError

from cctrace.core.errors import InputError
from cctrace.store import audit_log
from cctrace.store.audit_log import AuditEntry, VerifyReport
from cctrace.store.base import StoreBase


class AuditRepo(StoreBase):
    @property
    def audit_anchor(self) -> Path:
        """The anchor file beside the database: the chain's latest ``seq`` and hash."""
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
        return audit_log.verify(self.audit_entries(), self.audit_anchor)
