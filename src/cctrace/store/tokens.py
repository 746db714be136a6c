"""API tokens: ``<user id>.<secret>``, with only an argon2 hash of the secret stored.

The user id in front lets a check find the one row to verify: argon2 hashes are salted
and deliberately slow, so trying every user's hash would make each command cost
O(users) hash computations. The secret alone carries the 256 bits of entropy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


@dataclass(frozen=True)
class TokenParts:
    user_id: str
    secret: str


def new_user_id() -> str:
    return secrets.token_hex(8)


def new_token(user_id: str) -> str:
    return f"{user_id}.{secrets.token_urlsafe(32)}"


def split_token(token: str) -> TokenParts | None:
    user_id, dot, secret = token.strip().partition(".")
    if not dot or not user_id or not secret:
        return None
    return TokenParts(user_id, secret)


def hash_secret(token: str) -> str:
    parts = split_token(token)
    if parts is None:
        raise ValueError("not a cctrace token")
    return _HASHER.hash(parts.secret)


def verify_secret(token_hash: str, secret: str) -> bool:
    try:
        return _HASHER.verify(token_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
