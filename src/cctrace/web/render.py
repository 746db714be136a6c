"""Templates and the human words they print: Jinja2, autoescaped, strict about names.

Every value reaches the page through a filter of `cctrace.report.words` (or one below),
so no ``None``, ``True``, ``nan`` or ISO string with a ``T`` is ever shown; a template
naming a variable it was not given fails loudly (`StrictUndefined`) rather than print an
empty string.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from cctrace.report import words

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

ROLE_WORDS = {
    "admin": "administrator",
    "investigator": "investigator",
    "supervisor": "supervisor",
    "auditor": "auditor",
    "ingest": "camera operator (ingestion)",
}
RISK_WORDS = {"high": "high risk", "medium": "medium risk", "low": "low risk"}
STATE_WORDS = {
    "queued": "waiting to start",
    "running": "running",
    "done": "done",
    "failed": "failed",
}


def when(value: str | datetime | None) -> str:
    """``2026-12-07 10:02:13 UTC``; a dash when there is no time."""
    if value is None or value == "":
        return words.DASH
    moment = value if isinstance(value, datetime) else words.parse_time(value)
    return words.when(moment)


def day(value: str | datetime | None) -> str:
    """``2026-12-07`` (UTC)."""
    if value is None or value == "":
        return words.DASH
    moment = value if isinstance(value, datetime) else words.parse_time(value)
    return words.as_utc(moment).strftime("%Y-%m-%d")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 stay``, ``3 stays``, ``no contact``."""
    if n == 0:
        return f"no {noun}"
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def metres(value: float | None, digits: int = 2) -> str:
    return words.DASH if value is None else words.metres(value, digits)


def percent_of(share: float | None) -> str:
    if share is None or not math.isfinite(share):
        return words.DASH
    return f"{share:.0%}"


def seconds(value: float) -> str:
    """A processing time: ``0.4 s``, ``12 s``, ``2 min 05 s``."""
    if not math.isfinite(value):
        return words.DASH
    return f"{value:.1f} s" if value < 10 else words.duration(value)


def status_words(status: str) -> str:
    return {
        "pending": "waiting for a supervisor's approval",
        "approved": "approved",
        "rejected": "rejected by a supervisor",
        "closed": "closed",
    }.get(status, status)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when,
        day=day,
        count=count,
        metres=metres,
        percent=percent_of,
        duration=words.duration,
        seconds=seconds,
        yes_no=words.yes_no,
        yes_no_unknown=words.yes_no_unknown,
        or_dash=words.or_dash,
        role_words=lambda r: ROLE_WORDS.get(r, r),
        risk_words=lambda r: RISK_WORDS.get(r, r),
        state_words=lambda s: STATE_WORDS.get(s, s),
        status_words=status_words,
        evidence_words=words.evidence_words,
    )
    return env


class Templates:
    """Renders a page or a fragment; the base layout gets who is signed in and the
    session's CSRF token (``signed``: None on the sign-in and error pages)."""

    def __init__(self) -> None:
        self.env = environment()

    def render(self, template: str, /, **values: Any) -> str:
        return self.env.get_template(template).render(**values)

    def response(
        self,
        request: Request,
        template: str,
        /,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        values.setdefault("signed", None)
        values.setdefault("path", request.url.path)
        return HTMLResponse(self.render(template, **values), status_code=status, headers=headers)
