"""Signing in and out of the web page, and resuming a signed-in user on each request.

The web page keeps its sessions itself (in the server's memory, `cctrace.web.sessions`);
what happens to the account lives here: the token is checked by the one `authenticate`
(a bad one is audited there), a sign-in and a sign-out are audited, and each request of
a session re-reads the account so that a revoked or expired token ends it at once.
A page a role may not open is refused here too, and audited like any other refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cctrace.core.errors import AuthError
from cctrace.services.auth import Context, Principal, authenticate
from cctrace.services.events import AuditEvent, record
from cctrace.store.repository import Store

VIA = "web"


def sign_in(store: Store, token: str | None) -> Context:
    """The user of ``token`` (AuthError otherwise, audited as a refused sign-in)."""
    ctx = authenticate(store, (token or "").strip() or None, "sign_in", VIA)
    record(ctx, AuditEvent("sign_in", "signed in", target="web page"))
    return ctx


def resume(store: Store, user_id: str) -> Context:
    """The signed-in user of a web session, as their account stands now: AuthError when it
    was deleted, revoked or expired since they signed in."""
    user = store.user_by_id(user_id)
    if user is None:
        raise AuthError("your account no longer exists: sign in with a valid token")
    if user.revoked_at is not None:
        raise AuthError(f"the token of user {user.name} was revoked: ask an admin for a new one")
    if user.expires_at is not None and user.expires_at <= datetime.now(UTC):
        raise AuthError(f"the token of user {user.name} expired: ask an admin for a new one")
    return Context(store, Principal(user, VIA))


def sign_out(ctx: Context) -> None:
    record(ctx, AuditEvent("sign_out", "signed out", target="web page"))


def refuse_page(ctx: Context, path: str, needed_role: str) -> AuthError:
    """The refusal of a page of another role's, audited; the caller raises it."""
    who = ctx.principal
    ctx.store.audit(who.name, who.role, "open_page", "refused: missing right", None, path[:200])
    return AuthError(
        f"user {who.name!r} (role {who.role}) may not open {path}: "
        f"that page is for the {needed_role} role"
    )
