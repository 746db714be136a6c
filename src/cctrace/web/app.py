"""The web page's app, mounted at ``/`` by the API's factory (`cctrace.api.app`).

A FastAPI app of its own (HTML pages, its own error pages, no OpenAPI document), mounted
so that it never answers what belongs to the API: `WebMount` declines ``/api/...``,
``/openapi.json`` and ``/docs``, so an unknown API route or a wrong method there keeps the
API's JSON answer. The API's middleware (security headers, body limits) wraps both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from cctrace.api.settings import ApiSettings
from cctrace.api.slowdown import Slowdown
from cctrace.services.jobs import JobRunner
from cctrace.store.repository import Store
from cctrace.web import errors
from cctrace.web.assets import STATIC_DIR
from cctrace.web.deps import WebState
from cctrace.web.render import Templates
from cctrace.web.routes import admin, audit, case, cases, login, review
from cctrace.web.sessions import Sessions

API_PATHS = ("/api/", "/openapi.json", "/docs", "/redoc")

UPLOAD_PATHS = (
    "/cases/new",
    "/admin/footage",
    "/admin/cameras",
    "/admin/cameras/import",
    "/admin/cameras/calibration",
    "/admin/sites",
)
"""POST routes whose bodies carry files (their size limits are the API's uploads')."""


class WebMount(Mount):
    """A mount at ``/`` that leaves the API's paths to the API."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.startswith(API_PATHS):
            return Match.NONE, {}
        return super().matches(scope)


def create_web_app(
    store: Store,
    settings: ApiSettings,
    slowdown: Slowdown,
    runner: Callable[[], JobRunner | None],
) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    minutes = settings.web.session_idle_minutes
    app.state.web = WebState(
        store=store,
        settings=settings,
        sessions=Sessions(minutes * 60.0, settings.web.session_max_hours * 3600.0),
        slowdown=slowdown,
        templates=Templates(),
        runner=runner,
    )
    errors.install(app)

    @app.middleware("http")
    async def no_store(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Pages hold personal data: never cached (the vendored files may be).
        response = await call_next(request)
        if not request.url.path.startswith("/static/"):
            response.headers["cache-control"] = "no-store"
        return response

    app.include_router(login.router)
    app.include_router(cases.router)
    app.include_router(case.router)
    app.include_router(admin.router)
    app.include_router(audit.router)
    app.include_router(review.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    return app


def mount_web(api: FastAPI, store: Store, settings: ApiSettings, slowdown: Slowdown) -> None:
    """Serve the web page at ``/`` of ``api`` (after every API route)."""

    def runner() -> JobRunner | None:
        current: JobRunner | None = api.state.runner
        return current

    web = create_web_app(store, settings, slowdown, runner)
    api.state.web_app = web
    api.router.routes.append(WebMount("/", app=web, name="web"))
