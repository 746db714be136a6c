"""Accounts: the token check and issuing or revoking a user's token (see `users`)."""

from __future__ import annotations

from datetime import datetime

from cctrace.store.base import StoreBase
from cctrace.store.records import IssuedToken, Role, User
from cctrace.store.users import authenticate, create_user, list_users, revoke_user, user_by_id


class UsersRepo(StoreBase):
    def authenticate(self, token: str | None) -> User:
        """The user a token belongs to; `AuthError` (exit 4) otherwise. The one token check."""
        with self._sessions() as session:
            return authenticate(session, token)

    def revoke_user(self, name: str) -> User:
        with self._write() as session:
            return revoke_user(session, name)

    def user_by_id(self, user_id: str) -> User | None:
        """An account by id (a job's owner), whatever the state of its token."""
        with self._sessions() as session:
            return user_by_id(session, user_id)

    def list_users(self) -> list[User]:
        with self._sessions() as session:
            return list_users(session)

    def create_user(self, name: str, role: Role, expires_at: datetime | None = None) -> IssuedToken:
        with self._write() as session:
            return create_user(session, name, role, expires_at)
