"""`cctrace serve`: the REST API and the web page on uvicorn (put a TLS reverse proxy in
front of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cctrace.cli.common import HomeOpt, run

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 behind a TLS proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes for ingest and evidence jobs.")
    ] = 1,
    purge_at: Annotated[
        str, typer.Option("--purge-at", help="Time of day (UTC, HH:MM) of the daily purge.")
    ] = "03:30",
    home: HomeOpt = None,
) -> None:
    """Serve the web page (at /) and the REST API (OpenAPI at /openapi.json, docs at
    /docs); runs the daily retention purge and the jobs (ingest, evidence) of uploads."""
    import uvicorn
    from pydantic import ValidationError

    from cctrace.api.app import create_app
    from cctrace.api.settings import ApiSettings
    from cctrace.core.errors import InputError
    from cctrace.store.home import resolve_home

    def build() -> FastAPI:
        try:
            settings = ApiSettings(workers=workers, purge_at=purge_at)
        except ValidationError as exc:
            raise InputError(f"--purge-at / --workers: {exc.errors()[0]['msg']}") from None
        return create_app(resolve_home(home), settings)

    app = run(build)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
