"""The role matrix, read by `cctrace.services.auth.authorize` (role, then the case's owner).

| action            | admin | investigator | supervisor | auditor | ingest |
|-------------------|-------|--------------|------------|---------|--------|
| list_cameras      | yes   | yes          |            |         |        |
| manage_cameras    | yes   |              |            |         |        |
| manage_users      | yes   |              |            |         |        |
| manage_limits     | yes   |              |            |         |        |
| read_index        | yes   |              |            |         |        |
| add_footage       | yes   |              |            |         | yes    |
| open_case / trace | (no)  | yes (own)    |            |         |        |
| list_cases        |       | yes (own)    | yes (all, metadata) |  |        |
| review_case       |       |              | yes (never own)     |  |        |
| withdraw_case     |       | yes (own)    | yes (any)  |         |        |
| view_case         |       | yes (own)    |            |         |        |
| export_report     |       | yes (own)    |            |         |        |
| close_case        |       | yes (own)    |            |         |        |
| export_evidence   |       | yes (own)    |            |         |        |
| unblur            |       | yes (own), logged with a reason |  |  |        |
| manage_retention  | yes   |              |            |         |        |
| rotate_keys       | yes   |              |            |         |        |
| read_audit        |       |              |            | yes     |        |

Admins run the system but can never search for a person; investigators search only
inside their own consented cases, and only once a supervisor approved the case
(`NEEDS_APPROVAL`); supervisors decide on cases (every case: `EVERY_CASE`) and never see a
face, footage, route or contact; auditors see the log, no faces.
"""

from __future__ import annotations

from typing import Literal

from cctrace.core.errors import AuthError
from cctrace.store.records import Role, User

Action = Literal[
    "list_cameras",
    "manage_cameras",
    "manage_users",
    "manage_limits",
    "read_index",
    "add_footage",
    "open_case",
    "list_cases",
    "review_case",
    "withdraw_case",
    "trace",
    "view_case",
    "export_report",
    "close_case",
    "export_evidence",
    "unblur",
    "manage_retention",
    "rotate_keys",
    "read_audit",
]

ALLOWED: dict[Action, frozenset[Role]] = {
    "list_cameras": frozenset({"admin", "investigator"}),
    "manage_cameras": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "manage_limits": frozenset({"admin"}),
    "read_index": frozenset({"admin"}),
    "add_footage": frozenset({"admin", "ingest"}),
    "open_case": frozenset({"investigator"}),
    "list_cases": frozenset({"investigator", "supervisor"}),
    "review_case": frozenset({"supervisor"}),
    "withdraw_case": frozenset({"investigator", "supervisor"}),
    "trace": frozenset({"investigator"}),
    "view_case": frozenset({"investigator"}),
    "export_report": frozenset({"investigator"}),
    "close_case": frozenset({"investigator"}),
    "export_evidence": frozenset({"investigator"}),
    "unblur": frozenset({"investigator"}),
    "manage_retention": frozenset({"admin"}),
    "rotate_keys": frozenset({"admin"}),
    "read_audit": frozenset({"auditor"}),
}

DESCRIPTION: dict[Action, str] = {
    "list_cameras": "list cameras",
    "manage_cameras": "manage cameras",
    "manage_users": "manage users",
    "manage_limits": "change the case limits",
    "read_index": "read the index statistics",
    "add_footage": "add footage",
    "open_case": "open a case",
    "list_cases": "list cases",
    "review_case": "approve or reject a case",
    "withdraw_case": "withdraw a case's consent",
    "trace": "trace a patient",
    "view_case": "view a case",
    "export_report": "export a case report",
    "close_case": "close a case",
    "export_evidence": "export evidence",
    "unblur": "unblur a contact in evidence",
    "manage_retention": "purge biometric data or change retention settings",
    "rotate_keys": "rotate the encryption key",
    "read_audit": "read the audit log",
}


EVERY_CASE: frozenset[Role] = frozenset({"supervisor"})
"""Roles whose rights on a case hold for every case, not only their own (they own none)."""

NEEDS_APPROVAL: frozenset[Action] = frozenset(
    {"trace", "export_report", "export_evidence", "unblur"}
)
"""What is refused on a case until a supervisor approved it: anything that searches for
the patient or shows what a search found."""


def authorize_role(user: User, action: Action) -> None:
    """Raise AuthError (exit 4) naming the missing right when ``user`` may not act."""
    if user.role not in ALLOWED[action]:
        who = " or ".join(sorted(ALLOWED[action]))
        raise AuthError(
            f"user {user.name!r} (role {user.role}) may not {DESCRIPTION[action]}: "
            f"that needs the {who} role"
        )
