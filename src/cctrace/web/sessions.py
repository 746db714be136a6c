"""Web sessions, in the server's memory: a random id in a cookie, nothing else.

The cookie holds only the session id (HttpOnly, SameSite=Strict, Secure behind TLS); the
server keeps the SHA-256 of that id, never the id itself, with the user's id, the
session's CSRF token and its times. A session ends after ``idle_s`` without a request,
``max_s`` after signing in, at sign-out, and when the server stops (signing in again is
a token away). The token a user signed in with is not kept at all: each request re-reads
the account (`cctrace.services.sessions.resume`), so revoking it ends the session.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "cctrace_session"
LOGIN_COOKIE = "cctrace_login"
"""Before signing in: the login form's CSRF token, also in the form (double submit)."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_COOKIE_S = 3600


@dataclass
class WebSession:
    user_id: str
    csrf_token: str
    started_s: float
    seen_s: float


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """The signed-in sessions of one server (thread-safe: routes run in a thread pool)."""

    def __init__(
        self, idle_s: float, max_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_s = idle_s
        self.max_s = max_s
        self._clock = clock
        self._by_key: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def start(self, user_id: str) -> tuple[str, WebSession]:
        """A new session of ``user_id``: its id (for the cookie, not kept) and record."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        session = WebSession(user_id, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._drop_expired(now)
            self._by_key[_key(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session of a cookie's id, its inactivity clock restarted; None when
        unknown or expired (an expired one is forgotten)."""
        if not session_id:
            return None
        key, now = _key(session_id), self._clock()
        with self._lock:
            session = self._by_key.get(key)
            if session is None:
                return None
            if now - session.seen_s > self.idle_s or now - session.started_s > self.max_s:
                del self._by_key[key]
                return None
            session.seen_s = now
            return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._by_key.pop(_key(session_id), None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_key)

    def _drop_expired(self, now: float) -> None:
        gone = [
            k
            for k, s in self._by_key.items()
            if now - s.seen_s > self.idle_s or now - s.started_s > self.max_s
        ]
        for k in gone:
            del self._by_key[k]


def is_https(request: Request) -> bool:
    """Whether the browser talks TLS: to us, or to the reverse proxy in front of us."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age_s: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age_s,
        path="/",
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=is_https(request)
    )


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(str(given).encode(), expected.encode())
