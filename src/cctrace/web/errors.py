"""Error pages of the web page: the status the API would give, as a page a person reads.

A refused role or another investigator's case is a 403 page, an unknown id a 404 page,
bad input a 422 page (forms show their own error beside the fields instead), a missing
session a trip to the sign-in page. A client that does not ask for HTML (a script) gets
the API's JSON error shape, so an unknown address answers alike for both front doors.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from cctrace.api import errors as api_errors
from cctrace.core.errors import AuthError, CctraceError
from cctrace.web.deps import LANDING, CsrfError, LoginRequiredError, Signed, web_state

log = logging.getLogger("cctrace.web")

TITLES = {
    400: "The request could not be read",
    403: "Not for you",
    404: "Not found",
    405: "Not available here",
    409: "Not now",
    413: "Too large",
    422: "Something in the form needs fixing",
    500: "Something went wrong on our side",
    503: "The data needs the administrator",
}


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def _signed(request: Request) -> Signed | None:
    signed = getattr(request.state, "cctrace_signed", None)
    return signed if isinstance(signed, Signed) else None


def error_page(request: Request, status: int, message: str) -> Response:
    signed = _signed(request)
    home = "/" if signed is None else LANDING.get(signed.role, "/")
    return web_state(request).templates.response(
        request,
        "error.html.j2",
        status=status,
        signed=signed,
        status_code=status,
        title=TITLES.get(status, "The request failed"),
        message=message,
        home=home,
    )


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    target = "/"
    if request.method == "GET" and request.url.path != "/":
        target = f"/?next={quote(request.url.path, safe='/')}"
    if exc.message:
        target += ("&" if "?" in target else "?") + "ended=1"
    if "hx-request" in request.headers:
        # htmx would swap the sign-in page into a fragment: have it navigate instead.
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _csrf(request: Request, _exc: Exception) -> Response:
    return error_page(
        request,
        403,
        "The form was refused: it did not carry this session's security token (it may come "
        "from an old page or another site). Reload the page and send it again.",
    )


async def _cctrace(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CctraceError)
    status, _code = api_errors.status_of(exc)
    if status >= 500:
        log.warning("web %s: %s", status, exc.message)
    message = exc.message
    if isinstance(exc, AuthError):
        message = f"This page is not for you: {message}."
    return error_page(request, status, message)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not wants_html(request):
        return await api_errors._http(request, exc)
    if exc.status_code == 404:
        message = f"There is no page at {request.url.path}."
    elif exc.status_code == 405:
        message = f"{request.url.path} cannot be opened that way ({request.method})."
    else:
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
    return error_page(request, exc.status_code, message)


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, _field = api_errors.validation_message(list(exc.errors()))
    return error_page(request, 422, f"The form was incomplete: {message}.")


async def _internal(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(
        request, 500, "An internal error occurred; it was logged for the administrator."
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(CsrfError, _csrf)
    app.add_exception_handler(CctraceError, _cctrace)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _internal)
