"""Signing in with a token (``/``), signing out, and the page of a role with no pages."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from cctrace.core.errors import AuthError
from cctrace.services.sessions import sign_in, sign_out
from cctrace.store.users import TOKEN_HELP
from cctrace.web.deps import (
    LANDING,
    CsrfError,
    LoginRequiredError,
    Signed,
    SignedDep,
    WebDep,
    area,
    signed_in,
    text,
)
from cctrace.web.sessions import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_S,
    SESSION_COOKIE,
    clear_cookie,
    same_token,
    set_cookie,
)

router = APIRouter()

WEB_TOKEN_HELP = "paste the whole token an administrator gave you"


def safe_next(target: str | None) -> str | None:
    """A page of this site to return to after signing in (never another site's)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if target.startswith(("/logout", "/static/")) or any(c in target for c in "\r\n\\"):
        return None
    return target


async def _current(request: Request) -> Signed | None:
    try:
        return await signed_in(request)
    except LoginRequiredError:
        return None


def _login_page(
    request: Request, web: WebDep, error: str = "", status: int = 200, next_: str | None = None
) -> Response:
    token = secrets.token_urlsafe(32)
    response = web.templates.response(
        request,
        "login.html.j2",
        status=status,
        login_csrf=token,
        error=error,
        ended=request.query_params.get("ended") == "1" and not error,
        next=next_ or "",
    )
    set_cookie(response, request, LOGIN_COOKIE, token, LOGIN_COOKIE_S)
    return response


@router.get("/")
async def login_page(request: Request, web: WebDep) -> Response:
    signed = await _current(request)
    if signed is not None:
        return RedirectResponse(LANDING[signed.role], status_code=303)
    return _login_page(request, web, next_=safe_next(request.query_params.get("next")))


@router.post("/")
async def login(request: Request, web: WebDep) -> Response:
    form = await request.form()
    next_ = safe_next(text(form, "next"))
    if not same_token(text(form, "csrf_token"), request.cookies.get(LOGIN_COOKIE, "")):
        return _login_page(
            request,
            web,
            "The sign-in form had expired or came from another page; sign in again.",
            403,
            next_,
        )
    token = text(form, "token")
    client = request.client.host if request.client is not None else "unknown"
    if token:
        delay = web.slowdown.delay_s(client)
        if delay > 0:
            await asyncio.sleep(delay)
    try:
        ctx = await run_in_threadpool(sign_in, web.store, token)
    except AuthError as exc:
        if token:
            web.slowdown.failed(client)
        message = exc.message.replace(TOKEN_HELP, WEB_TOKEN_HELP)
        message = message.replace("this command needs a token", "signing in needs a token")
        return _login_page(request, web, message[:1].upper() + message[1:] + ".", 401, next_)
    old = request.cookies.get(SESSION_COOKIE)
    web.sessions.end(old)  # a new id at each sign-in (no session fixation)
    session_id, _session = web.sessions.start(ctx.principal.user_id)
    response = RedirectResponse(next_ or LANDING[ctx.principal.role], status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session_id)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, web: WebDep, signed: SignedDep) -> Response:
    form = await request.form()
    given = request.headers.get("x-csrf-token") or text(form, "csrf_token")
    if not same_token(given, signed.csrf_token):
        raise CsrfError()
    await run_in_threadpool(sign_out, signed.ctx)
    web.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response


@router.get("/ingest")
def ingest_home(
    request: Request, web: WebDep, signed: Annotated[Signed, Depends(area("ingest"))]
) -> Response:
    return web.templates.response(request, "ingest.html.j2", signed=signed)
