"""Who is acting, and the one check of what they may do: role, then the case's owner."""

from __future__ import annotations

from dataclasses import dataclass

from cctrace.core.errors import AuthError, NotFoundError
from cctrace.privacy.roles import (
    DESCRIPTION,
    EVERY_CASE,
    NEEDS_APPROVAL,
    Action,
    authorize_role,
)
from cctrace.store.records import CaseRecord, Role, User
from cctrace.store.repository import Store


@dataclass(frozen=True)
class Principal:
    """An authenticated account; ``via`` says which front door it came through."""

    user: User
    via: str = "cli"

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def user_id(self) -> str:
        return self.user.user_id


@dataclass(frozen=True)
class Context:
    """The store and who acts on it: what every service function takes first."""

    store: Store
    principal: Principal


def authenticate(store: Store, token: str | None, attempted: str, via: str = "cli") -> Context:
    """The caller of a token, or AuthError (exit 4, HTTP 401), audited with what was tried."""
    try:
        user = store.authenticate(token)
    except AuthError:
        store.audit("(unknown token)", "-", attempted, "refused: bad token")
        raise
    return Context(store, Principal(user, via))


def authorize(ctx: Context, action: Action, case_id: str | None = None) -> CaseRecord | None:
    """Refuse (AuthError naming the missing right, audited) unless the principal's role may
    do ``action`` and, for a case, owns it (a supervisor's rights hold for every case) and,
    for what searches or shows a search, a supervisor approved it; the allowed attempt is
    audited. Returns the case.

    An unknown case is NotFoundError, checked after the role so that a role without the
    right learns nothing about which case ids exist."""
    store, who = ctx.store, ctx.principal
    try:
        authorize_role(who.user, action)
    except AuthError:
        # The role alone refuses: whether the case exists is not looked up, nor logged.
        store.audit(who.name, who.role, action, "refused: missing right")
        raise
    # The role allows it: that attempt is logged (with the case asked for) before the case
    # is looked up, so an unknown or foreign case id is on record too.
    store.audit(who.name, who.role, action, "allowed", case_id)
    if case_id is None:
        return None
    case = store.get_case(case_id)
    if case is None:
        raise NotFoundError(f"unknown case {case_id!r}: check the case id")
    if case.owner_id != who.user_id and who.role not in EVERY_CASE:
        store.audit(who.name, who.role, action, "refused: not the owner", case_id)
        raise AuthError(
            f"case {case_id} belongs to another investigator: only its owner may use it "
            f"(you tried to {DESCRIPTION[action]})"
        )
    if action in NEEDS_APPROVAL and case.status in ("pending", "rejected"):
        store.audit(who.name, who.role, action, "refused: not approved", case_id)
        missing = (
            "a supervisor's approval is missing (a supervisor runs `cctrace case approve "
            f"{case_id} --reason TEXT`)"
            if case.status == "pending"
            else "a supervisor rejected it"
        )
        raise AuthError(
            f"case {case_id} is {case.status}: {missing}; until it is approved nobody may "
            f"{DESCRIPTION[action]}"
        )
    return case


def require_case(ctx: Context, action: Action, case_id: str) -> CaseRecord:
    """`authorize` for an action on one case, which must exist and be the caller's."""
    case = authorize(ctx, action, case_id)
    assert case is not None
    return case
