"""Turning what a browser's form sends into what the services take: text, not rules.

Date fields send ``2026-03-01`` (and an optional ``08:30`` beside them); the services take
ISO 8601 times, which they check. Number fields send text; an empty one means "not
given". Nothing here decides whether a value is acceptable: the service says so, and the
form shows its message.
"""

from __future__ import annotations

import math
import re

from cctrace.core.errors import InputError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CLOCK = re.compile(r"\d{2}:\d{2}(:\d{2})?")


def window_bound(day: str, clock: str = "", *, end: bool = False) -> str:
    """The ISO time of a date field and its optional time field, in UTC: a day alone
    starts at 00:00:00, or, for the end of a window, runs to 23:59:59 (so a window from
    2026-03-01 to 2026-03-01 is that whole day). Anything else is passed on as typed."""
    day, clock = day.strip(), clock.strip()
    if not _DAY.fullmatch(day):
        return day
    if not clock:
        clock = "23:59:59" if end else "00:00:00"
    elif _CLOCK.fullmatch(clock) and len(clock) == 5:
        clock += ":00"
    return f"{day}T{clock}+00:00"


def optional_float(value: str, label: str, field: str) -> float | None:
    """A number typed in a field (``,`` as decimal mark allowed); None when left empty."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise InputError(f"{label}: {value!r} is not a number", field) from None
    if not math.isfinite(number):
        raise InputError(f"{label}: give a finite number", field)
    return number


def optional_int(value: str, label: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{label}: {value!r} is not a whole number", field) from None


def id_list(value: str) -> list[str] | None:
    """``cam-1, cam-2`` as a list; None when empty."""
    ids = [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return ids or None
