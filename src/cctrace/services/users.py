"""User accounts: create (the token is shown once), revoke, and who am I."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from cctrace.core.errors import InputError
from cctrace.schemas import MeOut, UserListedOut, UserOut, UserRevokedOut, UsersOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.users import ROLES

MAX_EXPIRY_DAYS = 3650


def add_user(ctx: Context, name: str, role: str, expires_in_days: float | None = None) -> UserOut:
    """Create a user; the token is in the answer once and stored only as a hash."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}", "role")
    expires = None
    if expires_in_days is not None:
        if not (math.isfinite(expires_in_days) and 0 < expires_in_days <= MAX_EXPIRY_DAYS):
            raise InputError(
                f"--expires-in-days {expires_in_days}: give a number of days above 0 "
                f"and at most {MAX_EXPIRY_DAYS}",
                "expires_in_days",
            )
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
    authorize(ctx, "manage_users")
    issued = ctx.store.create_user(name, role, expires_at=expires)
    record(
        ctx,
        AuditEvent(
            "add_user",
            "created" if expires is None else f"created, expires {expires.isoformat()}",
            target=f"{issued.user.name} ({issued.user.role})",
        ),
    )
    return UserOut(
        user=issued.user.name,
        role=issued.user.role,
        token=issued.token,
        expires=None if expires is None else expires.isoformat(),
    )


def revoke_user(ctx: Context, name: str) -> UserRevokedOut:
    """Revoke a user's token at once."""
    authorize(ctx, "manage_users")
    user = ctx.store.revoke_user(name)
    record(ctx, AuditEvent("revoke_user", "revoked", target=user.name))
    return UserRevokedOut(
        user=user.name,
        role=user.role,
        revoked_at="" if user.revoked_at is None else user.revoked_at.isoformat(),
    )


def list_users(ctx: Context) -> UsersOut:
    """Every account (names, roles, dates; never a token)."""
    authorize(ctx, "manage_users")
    return UsersOut(
        users=[
            UserListedOut(
                user=u.name,
                role=u.role,
                created=u.created_at.isoformat(),
                expires=None if u.expires_at is None else u.expires_at.isoformat(),
                revoked=None if u.revoked_at is None else u.revoked_at.isoformat(),
            )
            for u in ctx.store.list_users()
        ]
    )


def whoami(ctx: Context) -> MeOut:
    return MeOut(user=ctx.principal.name, role=ctx.principal.role)
