"""Commands for the case limits (admin): window length, cameras without a region, days open."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, TokenOpt, context, print_json, run
from cctrace.schemas import LimitsOut

limits_app = typer.Typer(
    help="Show or set the limits that bind a case to an infection (admin).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(limits_app, name="limits")


def _print(out: LimitsOut) -> None:
    default = set(out.defaults)

    def note(name: str) -> str:
        return " (the default)" if name in default else ""

    Console().print(
        f"a case's window spans at most {out.max_case_window_days} days"
        f"{note('max_case_window_days')}\n"
        f"a case without a region searches at most {out.max_case_cameras} cameras"
        f"{note('max_case_cameras')}\n"
        f"a case open longer than {out.max_case_open_days} days is closed by the daily purge"
        f"{note('max_case_open_days')}"
    )


@limits_app.command("show")
def limits_show(home: HomeOpt = None, token: TokenOpt = None, json_out: JsonOpt = False) -> None:
    """The case limits in force."""
    from cctrace.services import limits

    def work() -> LimitsOut:
        with context(home, token, "manage_limits") as ctx:
            return limits.show_limits(ctx)

    out = run(work)
    if json_out:
        print_json(out)
        return
    _print(out)


@limits_app.command("set")
def limits_set(
    max_case_window_days: Annotated[
        int | None, typer.Option(help="The longest case window, in days (default 14).")
    ] = None,
    max_case_cameras: Annotated[
        int | None,
        typer.Option(help="The most cameras a case without a region searches (default 500)."),
    ] = None,
    max_case_open_days: Annotated[
        int | None,
        typer.Option(help="Days a case stays open before the daily purge closes it (default 30)."),
    ] = None,
    home: HomeOpt = None,
    token: TokenOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change the case limits given; each change is audited."""
    from cctrace.core.errors import InputError
    from cctrace.services import limits

    def work() -> LimitsOut:
        values = {
            "max_case_window_days": max_case_window_days,
            "max_case_cameras": max_case_cameras,
            "max_case_open_days": max_case_open_days,
        }
        if all(v is None for v in values.values()):
            raise InputError(
                "give at least one limit: --max-case-window-days, --max-case-cameras or "
                "--max-case-open-days"
            )
        with context(home, token, "manage_limits") as ctx:
            return limits.set_limits(ctx, values)

    out = run(work)
    if json_out:
        print_json(out)
        return
    _print(out)
