"""The case limits (admin): the longest window, cameras without a region, days open."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import LimitsOut
from cctrace.services import limits

router = APIRouter(tags=["limits"])


class LimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_case_window_days: int | None = Field(
        default=None, description="The longest case window, in days (default 14)."
    )
    max_case_cameras: int | None = Field(
        default=None, description="The most cameras a case without a region searches (500)."
    )
    max_case_open_days: int | None = Field(
        default=None, description="Days a case stays open before the daily purge closes it (30)."
    )


@router.get(
    "/limits",
    response_model=LimitsOut,
    summary="The limits that bind a case to an infection",
    openapi_extra=action("manage_limits"),
)
def show_limits(ctx: CtxDep) -> LimitsOut:
    return limits.show_limits(ctx)


@router.put(
    "/limits",
    response_model=LimitsOut,
    summary="Change the case limits given (each change audited)",
    openapi_extra=action("manage_limits"),
)
def set_limits(body: LimitsIn, ctx: CtxDep) -> LimitsOut:
    return limits.set_limits(ctx, body.model_dump())
