"""Accounts and the token check. `authenticate` is the one place a token is accepted."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cctrace.core.errors import AuthError, InputError, NotFoundError
from cctrace.store import tokens
from cctrace.store.models import UserRow, utc_now
from cctrace.store.records import IssuedToken, Role, User

ROLES: tuple[Role, ...] = ("admin", "investigator", "supervisor", "auditor", "ingest")


def person_of(name: str) -> str:
    """The person an account belongs to: its user name, compared without regard to case,
    Unicode width or spacing.

    cctrace knows people only by their user names. Names are unique as written, so one
    person who holds two roles (an investigator who also leads the team) has two accounts
    whose names differ at most in that way ("Dr Kim" and "dr kim"); every rule about "the
    same person" (a supervisor never approves a case of their own) compares this key."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


TOKEN_HELP = "pass --token or set CCTRACE_TOKEN (the admin token is printed once by `cctrace init`)"


def user_of(row: UserRow) -> User:
    role = row.role
    if role not in ROLES:
        raise InputError(f"user {row.name} has unknown role {role!r}")
    return User(row.id, row.name, role, row.created_at, row.expires_at, row.revoked_at)


def has_users(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(UserRow)).scalar_one() > 0


def create_user(
    session: Session, name: str, role: Role, expires_at: datetime | None = None
) -> IssuedToken:
    """Add a user with a fresh token (returned once; only its argon2 hash is stored)."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    user_id = tokens.new_user_id()
    token = tokens.new_token(user_id)
    row = UserRow(
        id=user_id,
        name=name,
        role=role,
        token_hash=tokens.hash_secret(token),
        created_at=utc_now(),
        expires_at=expires_at,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise InputError(f"a user named {name!r} already exists: choose another name") from None
    return IssuedToken(user_of(row), token)


def authenticate(session: Session, token: str | None) -> User:
    """The user whose token this is; AuthError for none, unknown, expired or revoked."""
    if not token or not token.strip():
        raise AuthError(f"this command needs a token: {TOKEN_HELP}")
    parts = tokens.split_token(token)
    row = None if parts is None else session.get(UserRow, parts.user_id)
    # One message for a malformed token, an unknown user and a wrong secret: the reply
    # must not tell a guesser which part was right.
    if parts is None or row is None or not tokens.verify_secret(row.token_hash, parts.secret):
        raise AuthError(f"the token is not valid: {TOKEN_HELP}")
    now = utc_now()
    if row.revoked_at is not None:
        raise AuthError(f"the token of user {row.name} was revoked: ask an admin for a new one")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthError(
            f"the token of user {row.name} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC: "
            "ask an admin for a new one"
        )
    return user_of(row)


def revoke_user(session: Session, name: str) -> User:
    """Revoke a user's token now; InputError when there is no such user."""
    from sqlalchemy import select

    from cctrace.store.models import utc_now

    row = session.scalars(select(UserRow).where(UserRow.name == name)).first()
    if row is None:
        raise NotFoundError(f"no user named {name!r}; see the audit log for account changes")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
    session.flush()
    return user_of(row)


def user_by_id(session: Session, user_id: str) -> User | None:
    row = session.get(UserRow, user_id)
    return None if row is None else user_of(row)


def list_users(session: Session) -> list[User]:
    """Every account, by name (revoked ones too: an admin sees who lost access)."""
    return [user_of(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]
