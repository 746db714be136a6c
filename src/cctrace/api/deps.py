"""What routes take besides their input: the store, the settings, the job runner and the
authenticated caller (`CtxDep`, from ``Authorization: Bearer <token>``).

The token is checked by `cctrace.services.auth.authenticate`, the one check the CLI uses
too (a refused token is audited there, naming what was attempted: the route's
``x-cctrace-action``). Every router behind a token lists `require_token` among its
dependencies, so a route that forgot `CtxDep` still answers 401 without a token.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from cctrace.api.errors import NotAuthenticatedError
from cctrace.api.settings import ApiSettings
from cctrace.api.slowdown import Slowdown
from cctrace.core.errors import AuthError
from cctrace.services.auth import Context, authenticate
from cctrace.services.jobs import JobRunner
from cctrace.store.repository import Store
from cctrace.store.users import TOKEN_HELP

ACTION_KEY = "x-cctrace-action"
API_TOKEN_HELP = (
    "send your token as `Authorization: Bearer <token>` (an admin creates users and their "
    "tokens with POST /api/v1/users or `cctrace users add`)"
)

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="The token of a cctrace user (`cctrace users add`, POST /api/v1/users).",
)


def action(name: str) -> dict[str, Any]:
    """``openapi_extra`` of a route: the action its refusals and bad tokens are audited as."""
    return {ACTION_KEY: name}


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


def get_runner(request: Request) -> JobRunner | None:
    runner: JobRunner | None = request.app.state.runner
    return runner


def _attempted(request: Request) -> str:
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    name = extra.get(ACTION_KEY)
    if isinstance(name, str):
        return name
    return f"api {request.method}"[:40]


async def authenticate_request(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Context:
    """The caller of the request's bearer token (checked once per request); 401 otherwise.

    Bad tokens from one client address are slowed down (`Slowdown`); a missing token is
    refused at once (it guesses nothing)."""
    cached = getattr(request.state, "cctrace_ctx", None)
    if isinstance(cached, Context):
        return cached
    token = credentials.credentials.strip() if credentials is not None else None
    client = request.client.host if request.client is not None else "unknown"
    slowdown: Slowdown = request.app.state.slowdown
    if token:
        delay = slowdown.delay_s(client)
        if delay > 0:
            await asyncio.sleep(delay)
    store = get_store(request)
    try:
        ctx = await run_in_threadpool(authenticate, store, token, _attempted(request), "api")
    except AuthError as exc:
        if token:
            slowdown.failed(client)
        message = exc.message.replace(TOKEN_HELP, API_TOKEN_HELP)
        raise NotAuthenticatedError(message.replace("this command", "this request")) from None
    request.state.cctrace_ctx = ctx
    return ctx


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Context:
    return await authenticate_request(request, credentials)


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner | None, Depends(get_runner)]
CtxDep = Annotated[Context, Depends(require_token)]
"""The authenticated caller: the store and the principal every service takes first."""
