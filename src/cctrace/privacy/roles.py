"""The role matrix, read by `cctrace.services.auth.authorize` (role, then the case's owner).

| action            | admin | investigator | auditor | ingest |
|-------------------|-------|--------------|---------|--------|
| list_cameras      | yes   | yes          |         |        |
| manage_cameras    | yes   |              |         |        |
| manage_users      | yes   |              |         |        |
| read_index        | yes   |              |         |        |
| add_footage       | yes   |              |         | yes    |
| open_case / trace | (no)  | yes (own)    |         |        |
| view_case         |       | yes (own)    |         |        |
| export_report     |       | yes (own)    |         |        |
| close_case        |       | yes (own)    |         |        |
| export_evidence   |       | yes (own)    |         |        |
| unblur            |       | yes (own), logged with a reason |  |  |
| manage_retention  | yes   |              |         |        |
| rotate_keys       | yes   |              |         |        |
| read_audit        |       |              | yes     |        |

Admins run the system but can never search for a person; investigators search only
inside their own consented cases; auditors see the log, no faces.
"""

from __future__ import annotations

from typing import Literal

from cctrace.core.errors import AuthError
from cctrace.store.records import Role, User

Action = Literal[
    "list_cameras",
    "manage_cameras",
    "manage_users",
    "read_index",
    "add_footage",
    "open_case",
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
    "read_index": frozenset({"admin"}),
    "add_footage": frozenset({"admin", "ingest"}),
    "open_case": frozenset({"investigator"}),
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
    "read_index": "read the index statistics",
    "add_footage": "add footage",
    "open_case": "open a case",
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


def authorize_role(user: User, action: Action) -> None:
    """Raise AuthError (exit 4) naming the missing right when ``user`` may not act."""
    if user.role not in ALLOWED[action]:
        who = " or ".join(sorted(ALLOWED[action]))
        raise AuthError(
            f"user {user.name!r} (role {user.role}) may not {DESCRIPTION[action]}: "
            f"that needs the {who} role"
        )
