"""The REST API's factory: `create_app(home, settings)` builds a FastAPI app over one data
folder, with the web page (`cctrace.web`) mounted at ``/``. Nothing is created at import
time.

Deny by default: every router but health's and the docs' depends on a valid token, so a
new route answers 401 without one even if it forgot to ask for the caller. The app's
lifespan runs the job workers (requeueing jobs a stopped server left) and the daily purge.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI

from cctrace import __version__
from cctrace.api import errors
from cctrace.api.deps import require_token
from cctrace.api.docs import docs_router
from cctrace.api.middleware import BodyLimit, SecurityHeaders
from cctrace.api.routes import (
    audit,
    cameras,
    cases,
    evidence,
    footage,
    health,
    index,
    jobs,
    limits,
    me,
    reports,
    retention,
    sites,
    traces,
    users,
)
from cctrace.api.scheduler import purge_daily
from cctrace.api.settings import MB, ApiSettings
from cctrace.api.slowdown import Slowdown
from cctrace.services.jobs import JobRunner, footage_dir, private_dir, uploads_dir
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.web.app import UPLOAD_PATHS, mount_web

PREFIX = "/api/v1"
STALE_UPLOAD_S = 24 * 3600.0
DESCRIPTION = (
    "Consent-gated contact tracing over CCTV footage. Every route but /api/v1/health needs "
    "`Authorization: Bearer <token>`; roles and cases are checked as on the command line, "
    'and every error is `{"error": {"code", "message", "field"}}`.'
)
AUTHED_ROUTERS = (
    me.router,
    users.router,
    cameras.router,
    footage.router,
    jobs.router,
    index.router,
    cases.router,
    traces.router,
    reports.router,
    evidence.router,
    audit.router,
    limits.router,
    retention.router,
    sites.router,
    sites.uploads,
)


def body_limits(settings: ApiSettings) -> dict[tuple[str, str], int]:
    """The largest request body per (method, path); any other route takes `json_bytes`.

    The web page's upload forms take what their largest part may hold (each part is then
    held to its own limit while it streams in, as the API's are)."""
    u = settings.uploads
    form = 1 * MB  # the form's text fields and part headers
    case = u.photo_bytes * u.max_photos + u.consent_bytes + form
    limits = {
        ("POST", f"{PREFIX}/footage"): u.footage_bytes + form,
        ("POST", f"{PREFIX}/cases"): case,
        ("POST", f"{PREFIX}/cameras"): u.camera_file_bytes,
        ("POST", f"{PREFIX}/site-plans"): u.site_plan_bytes + form,
    }
    web = {
        "/cases/new": case,
        "/admin/footage": u.footage_bytes + form,
        "/admin/sites": u.site_plan_bytes + form,
    }
    for path in UPLOAD_PATHS:
        limits[("POST", path)] = web.get(path, u.camera_file_bytes + form)
    return limits


def _remove_stale_uploads(home: Home) -> None:
    """Request folders a crashed server left behind (a day old: no upload takes that long)."""
    folder = uploads_dir(home) / "requests"
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if time.time() - child.lstat().st_mtime > STALE_UPLOAD_S:
            shutil.rmtree(child, ignore_errors=True)


def create_app(home: Path, settings: ApiSettings | None = None) -> FastAPI:
    """The API over the data folder ``home`` (which `cctrace init` made)."""
    settings = settings or ApiSettings()
    store = Store.open(Home.at(home))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for folder in (uploads_dir(store.home), footage_dir(store.home)):
            private_dir(folder).chmod(0o700)
        _remove_stale_uploads(store.home)
        runner = None
        if settings.run_jobs:
            runner = JobRunner(store, settings.workers)
            runner.requeue()
            runner.start()
            app.state.runner = runner
        purge = None
        if settings.daily_purge:
            purge = asyncio.create_task(purge_daily(store, settings.purge_time))
        try:
            yield
        finally:
            if purge is not None:
                purge.cancel()
            if runner is not None:
                app.state.runner = None
                await asyncio.to_thread(runner.stop)
            store.close()

    app = FastAPI(
        title="cctrace",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.slowdown = Slowdown(settings.slowdown)
    app.state.runner = None
    errors.install(app)
    app.include_router(health.router, prefix=PREFIX)
    for router in AUTHED_ROUTERS:
        app.include_router(
            router,
            prefix=PREFIX,
            dependencies=[Depends(require_token)],
            responses=errors.responses(*errors.AUTHED),
        )
    app.include_router(docs_router(app))
    # The web page answers every other path (never /api/...): added after every route.
    mount_web(app, store, settings, app.state.slowdown)
    limits = body_limits(settings)
    default = settings.uploads.json_bytes
    app.add_middleware(BodyLimit, limit_of=lambda m, p: limits.get((m, p), default))
    app.add_middleware(SecurityHeaders)
    return app
