"""The limits that bind a case to an infection: how long its window may be, how many
cameras it may search without a region, and how long it may stay open.

Each is a setting an admin changes (audited); until then the default holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cctrace.core.errors import InputError
from cctrace.store.records import User
from cctrace.store.repository import Store

LimitName = Literal["max_case_window_days", "max_case_cameras", "max_case_open_days"]

DEFAULTS: dict[LimitName, int] = {
    # An incubation period plus infectious days of the diseases traced (measles 21, TB
    # contact windows are set per case): two weeks is the usual look-back.
    "max_case_window_days": 14,
    "max_case_cameras": 500,
    "max_case_open_days": 30,
}
BOUNDS: dict[LimitName, tuple[int, int]] = {
    "max_case_window_days": (1, 90),
    "max_case_cameras": (1, 100_000),
    "max_case_open_days": (1, 365),
}
WHAT: dict[LimitName, str] = {
    "max_case_window_days": "the longest case window, in days",
    "max_case_cameras": "the most cameras a case without a region may search",
    "max_case_open_days": "the days a case may stay open before the daily purge closes it",
}


@dataclass(frozen=True)
class CaseLimits:
    max_case_window_days: int
    max_case_cameras: int
    max_case_open_days: int
    defaults: tuple[LimitName, ...]
    """The limits never set (their default holds)."""


def check_limit(name: str, value: int) -> LimitName:
    """``name`` as a limit's name; InputError (exit 2) naming it when unknown or out of range."""
    if name not in DEFAULTS:
        raise InputError(f"unknown limit {name!r}: use one of {', '.join(DEFAULTS)}", name)
    limit: LimitName = name
    low, high = BOUNDS[limit]
    if not low <= value <= high:
        raise InputError(
            f"{limit} must be a whole number from {low} to {high} ({WHAT[limit]}), got {value}",
            limit,
        )
    return limit


def case_limits(store: Store) -> CaseLimits:
    values: dict[LimitName, int] = {}
    defaults: list[LimitName] = []
    for name, default in DEFAULTS.items():
        raw = store.get_setting(name)
        if raw is None:
            values[name] = default
            defaults.append(name)
            continue
        try:
            values[name] = int(raw)
            check_limit(name, values[name])
        except (ValueError, InputError):
            raise InputError(
                f"the setting {name} of {store.home.root} is damaged ({raw!r}): set it again "
                f"with `cctrace limits set --{name.replace('_', '-')} N`"
            ) from None
    return CaseLimits(**values, defaults=tuple(defaults))


def set_case_limit(store: Store, user: User, name: str, value: int) -> None:
    """Store one limit and audit the change (before -> after)."""
    limit = check_limit(name, value)
    before = getattr(case_limits(store), limit)
    store.set_setting(limit, str(value), user.name)
    store.audit(user.name, user.role, "set_limit", "set", target=f"{limit}: {before} -> {value}")
