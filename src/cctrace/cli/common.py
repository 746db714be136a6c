"""What every command shares: errors to exit codes, JSON output, home and token options."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console

from cctrace.core.errors import CctraceError

if TYPE_CHECKING:
    from cctrace.services.auth import Context

err = Console(stderr=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (a stable contract).")]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (default: $CCTRACE_HOME, else a per-user folder)."),
]
TokenOpt = Annotated[
    str | None, typer.Option("--token", help="Your access token (default: $CCTRACE_TOKEN).")
]


def run(fn: Callable[[], T]) -> T:
    """Turn cctrace errors into a message on stderr and the error's exit code."""
    try:
        return fn()
    except CctraceError as exc:
        error(exc.message)
        raise typer.Exit(exc.exit_code) from None


def error(message: str) -> None:
    # Plain text, never wrapped: file names in messages must stay copyable and greppable.
    typer.echo(f"error: {message}", err=True)


def print_json(model: BaseModel) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def token_of(token: str | None) -> str | None:
    return token if token is not None else os.environ.get("CCTRACE_TOKEN")


@contextmanager
def context(home: Path | None, token: str | None, attempted: str) -> Iterator[Context]:
    """The data folder's store and the caller of ``token``; ``attempted`` names the command
    in the audit entry of a refused token. Services check the role and the case."""
    from cctrace.services.auth import authenticate
    from cctrace.store.home import Home, resolve_home
    from cctrace.store.repository import Store

    store = Store.open(Home.at(resolve_home(home)))
    try:
        yield authenticate(store, token_of(token), attempted)
    finally:
        store.close()
