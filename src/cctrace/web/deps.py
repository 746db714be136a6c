"""What every web page takes: the signed-in user (from the session cookie), the role's area
guard, the CSRF check of every POST, and upload forms streamed to disk.

Deny by default: every router but the sign-in page's depends on `area(role)`, which
needs a live session *and* the area's role, and checks the CSRF token of every POST. A
page of another role's is refused with a 403 page, audited (`refuse_page`), whatever the
menu shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from cctrace.api.settings import ApiSettings
from cctrace.api.slowdown import Slowdown
from cctrace.api.uploads import DiskUpload, form_on_disk
from cctrace.core.errors import AuthError
from cctrace.services.auth import Context
from cctrace.services.jobs import JobRunner
from cctrace.services.sessions import refuse_page, resume
from cctrace.store.records import Role
from cctrace.store.repository import Store
from cctrace.web.render import Templates
from cctrace.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Sessions,
    WebSession,
    same_token,
)

UPLOAD_KEY = "x-cctrace-upload"
UPLOAD: dict[str, Any] = {UPLOAD_KEY: True}
"""``openapi_extra`` of a route whose form carries files: its CSRF token is checked by
`upload_form` once the body is on disk (the guard cannot read it before)."""

LANDING: dict[str, str] = {
    "investigator": "/cases",
    "supervisor": "/review",
    "admin": "/admin/cameras",
    "auditor": "/audit/log",
    "ingest": "/ingest",
}
"""Where each role lands after signing in."""


@dataclass(frozen=True)
class WebState:
    store: Store
    settings: ApiSettings
    sessions: Sessions
    slowdown: Slowdown
    templates: Templates
    runner: Callable[[], JobRunner | None]
    """The job runner, read when needed (the server's lifespan starts it after the app)."""


@dataclass(frozen=True)
class Signed:
    """The signed-in caller of a request: the services' context and the web session."""

    ctx: Context
    session: WebSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def role(self) -> Role:
        return self.ctx.principal.role

    @property
    def name(self) -> str:
        return self.ctx.principal.name


class LoginRequiredError(Exception):
    """No live session: the browser is sent to the sign-in page (with why, if known)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class CsrfError(Exception):
    """A POST without the session's CSRF token: refused, nothing done."""


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def signed_in(request: Request) -> Signed:
    """The session's user as their account stands now; LoginRequiredError otherwise."""
    cached = getattr(request.state, "cctrace_signed", None)
    if isinstance(cached, Signed):
        return cached
    web = web_state(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    session = web.sessions.get(session_id)
    if session is None:
        raise LoginRequiredError(
            "your session ended after a while without use: sign in again" if session_id else ""
        )
    try:
        ctx = await run_in_threadpool(resume, web.store, session.user_id)
    except AuthError as exc:
        web.sessions.end(session_id)
        raise LoginRequiredError(exc.message) from None
    signed = Signed(ctx, session)
    request.state.cctrace_signed = signed
    return signed


SignedDep = Annotated[Signed, Depends(signed_in)]
WebDep = Annotated[WebState, Depends(web_state)]


async def _check_csrf(request: Request, signed: Signed) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    given = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "").lower()
    if given is None and content_type.startswith("multipart/form-data"):
        route = request.scope.get("route")
        if (getattr(route, "openapi_extra", None) or {}).get(UPLOAD_KEY):
            return  # checked by `upload_form` once the body is on disk
        raise CsrfError()
    if given is None and content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # kept on the request: the route reads the same form
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same_token(given, signed.csrf_token):
        raise CsrfError()


def area(role: Role) -> Callable[[Request, Signed], Awaitable[Signed]]:
    """The guard of one role's pages: signed in, that role, and a POST's CSRF token."""

    async def guard(request: Request, signed: SignedDep) -> Signed:
        if signed.role != role:
            raise await run_in_threadpool(refuse_page, signed.ctx, request.url.path, role)
        await _check_csrf(request, signed)
        return signed

    return guard


@asynccontextmanager
async def upload_form(
    request: Request, signed: Signed
) -> AsyncIterator[tuple[FormData, dict[str, list[DiskUpload]]]]:
    """The request's multipart form with its files on disk (as the API's uploads), the
    session's CSRF token checked; file parts by field, the browser's empty "no file
    chosen" parts left out."""
    web = web_state(request)
    async with form_on_disk(request, web.settings, web.store.home) as (form, parts):
        token = form.get(CSRF_FIELD)
        if not same_token(token if isinstance(token, str) else None, signed.csrf_token):
            raise CsrfError()
        files: dict[str, list[DiskUpload]] = {}
        for p in parts:
            # No file chosen: an empty part with no name (named after its field on disk).
            if p.filename == p.field and p.path.stat().st_size == 0:
                continue
            files.setdefault(p.field, []).append(p)
        yield form, files


def text(form: FormData, name: str) -> str:
    """A text field of a form, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


investigator = area("investigator")
admin = area("admin")
auditor = area("auditor")
supervisor = area("supervisor")
InvestigatorDep = Annotated[Signed, Depends(investigator)]
AdminDep = Annotated[Signed, Depends(admin)]
AuditorDep = Annotated[Signed, Depends(auditor)]
SupervisorDep = Annotated[Signed, Depends(supervisor)]
