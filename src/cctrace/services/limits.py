"""The case limits (admin): the longest window, the cameras a case without a region may
search, the days a case may stay open."""

from __future__ import annotations

from cctrace.privacy.case_limits import CaseLimits, case_limits, check_limit, set_case_limit
from cctrace.schemas import LimitsOut
from cctrace.services.auth import Context, authorize


def _out(limits: CaseLimits) -> LimitsOut:
    return LimitsOut(
        max_case_window_days=limits.max_case_window_days,
        max_case_cameras=limits.max_case_cameras,
        max_case_open_days=limits.max_case_open_days,
        defaults=list(limits.defaults),
    )


def show_limits(ctx: Context) -> LimitsOut:
    authorize(ctx, "manage_limits")
    return _out(case_limits(ctx.store))


def set_limits(ctx: Context, values: dict[str, int | None]) -> LimitsOut:
    """Set the limits given (None: unchanged); each change is audited, before -> after.
    Every value is checked before any is stored."""
    given = {k: v for k, v in values.items() if v is not None}
    for name, value in given.items():
        check_limit(name, value)
    authorize(ctx, "manage_limits")
    for name, value in given.items():
        set_case_limit(ctx.store, ctx.principal.user, name, value)
    return _out(case_limits(ctx.store))
