"""One error shape for every answer that is not a success: ``{"error": {"code", "message",
"field"}}`` (`cctrace.schemas.ErrorOut`), FastAPI's own validation errors, unknown routes and
wrong methods included. A bad input is never a 500 and never shows a stack trace.

Which status a cctrace error gets lives here, next to nothing else:

| error                              | status | code               |
|------------------------------------|--------|--------------------|
| no, unknown, expired, revoked token| 401    | unauthenticated    |
| `AuthError` from a service         | 403    | forbidden          |
| `NotFoundError`                    | 404    | not_found          |
| `TooLargeError`                    | 413    | too_large          |
| `NoFaceError`                      | 422    | no_face            |
| other `InputError`                 | 422    | invalid_input      |
| an export running (case close)     | 409    | conflict           |
| `CorruptDataError`, `ModelError`   | 503    | data_unavailable, model_unavailable |
| other `CctraceError`               | 409    | conflict           |
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cctrace.core.errors import (
    AuthError,
    CctraceError,
    CorruptDataError,
    InputError,
    ModelError,
    NoFaceError,
    NotFoundError,
    TooLargeError,
)
from cctrace.privacy.exports import ExportRunningError
from cctrace.schemas import ErrorBody, ErrorOut

log = logging.getLogger("cctrace.api")

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class NotAuthenticatedError(Exception):
    """No valid token: answered 401 (raised by the token dependency, never by a service)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorOut(error=ErrorBody(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def status_of(exc: CctraceError) -> tuple[int, str]:
    """The HTTP status and error code of a cctrace error raised by a service."""
    if isinstance(exc, AuthError):
        return 403, "forbidden"
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, TooLargeError):
        return 413, "too_large"
    if isinstance(exc, ExportRunningError):
        return 409, "conflict"
    if isinstance(exc, NoFaceError):
        return 422, "no_face"
    if isinstance(exc, InputError):
        return 422, "invalid_input"
    if isinstance(exc, CorruptDataError):
        return 503, "data_unavailable"
    if isinstance(exc, ModelError):
        return 503, "model_unavailable"
    return 409, "conflict"


def _validation_field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    names = [p for p in loc if isinstance(p, str) and p not in _LOCATIONS]
    return names[0] if names else None


def validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    """One sentence for FastAPI's validation errors, and the first field at fault."""
    if not errors:
        return "the request is not valid", None
    first = errors[0]
    field = _validation_field(first.get("loc", ()))
    msg = str(first.get("msg", "not valid"))
    msg = msg[:1].lower() + msg[1:]
    text = f"{field}: {msg}" if field else f"the request body: {msg}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})"
    return text, field


async def _cctrace_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CctraceError)
    status, code = status_of(exc)
    if status >= 500:
        log.warning("%s: %s", code, exc.message)
    return error_response(status, code, exc.message, exc.field)


async def _not_authenticated(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotAuthenticatedError)
    return error_response(
        401, "unauthenticated", exc.message, headers={"WWW-Authenticate": "Bearer"}
    )


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, field = validation_message(list(exc.errors()))
    return error_response(422, "invalid_input", message, field)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail = exc.detail if isinstance(exc.detail, str) else ""
    status = exc.status_code
    if status == 404:
        message = f"no such route: {request.method} {request.url.path}; see /docs"
        if detail and detail != "Not Found":
            message = detail
        return error_response(404, "not_found", message, headers=headers)
    if status == 405:
        allowed = (headers or {}).get("allow", (headers or {}).get("Allow", ""))
        message = f"{request.method} is not allowed on {request.url.path}" + (
            f"; use {allowed}" if allowed else ""
        )
        return error_response(405, "method_not_allowed", message, headers=headers)
    if status == 413:
        return error_response(413, "too_large", detail or "the request body is too large")
    if status in (400, 422):
        # Starlette's own parse failures (a broken multipart body): bad input, said as such.
        return error_response(
            422, "invalid_input", f"the request body could not be read: {detail or 'malformed'}"
        )
    if status == 401:
        return error_response(401, "unauthenticated", detail or "a valid token is needed")
    return error_response(status, "http_error", detail or "the request failed", headers=headers)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    # A bug, never bad input: logged with its traceback, answered without one.
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal", "an internal error occurred; it was logged for the administrator"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(CctraceError, _cctrace_error)
    app.add_exception_handler(NotAuthenticatedError, _not_authenticated)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _internal)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for a route's error answers, each an `ErrorOut`."""
    words = {
        401: "No valid token (missing, unknown, expired or revoked)",
        403: "The role may not do this, or the case is another investigator's",
        404: "Unknown id",
        409: "Conflicts with the data's state (run again later)",
        413: "Upload over its size limit",
        422: "Bad input; `field` names the input at fault",
        503: "The data folder or a model file needs the administrator",
    }
    return {s: {"model": ErrorOut, "description": words[s]} for s in statuses}


AUTHED = (401, 403, 404, 409, 413, 422, 503)
"""The error answers every route behind a token may give."""
