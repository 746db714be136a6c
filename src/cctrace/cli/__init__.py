"""The cctrace command line: parse, call, print. Logic lives in the packages below."""

from __future__ import annotations

import typer

from cctrace.cli import (
    appearance,
    audit,
    cases,
    evidence,
    index,
    limits,
    reports,
    retention,
    serve,
    sim,
    vision,
)

app = typer.Typer(
    name="cctrace",
    help="Consent-gated contact tracing through CCTV footage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
vision.register(app)
appearance.register(app)
index.register(app)
cases.register(app)
sim.register(app)
audit.register(app)
evidence.register(app)
retention.register(app)
limits.register(app)
reports.register(app)
serve.register(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


__all__ = ["app", "main"]
