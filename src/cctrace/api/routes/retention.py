"""Retention (admin): how long biometric data is kept, and the purge that applies it."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import PurgeOut, RetentionOut
from cctrace.services import retention

router = APIRouter(tags=["retention"])


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retention_days: int = Field(ge=1, le=3650, description="Keep biometric data this long.")


class PurgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    older_than_days: int | None = Field(
        default=None, ge=0, le=3650, description="Instead of the retention period; 0: everything."
    )
    dry_run: bool = Field(default=False, description="Say what would be purged; change nothing.")


@router.get(
    "/retention",
    response_model=RetentionOut,
    summary="The retention period",
    openapi_extra=action("manage_retention"),
)
def show_retention(ctx: CtxDep) -> RetentionOut:
    return retention.show_retention(ctx)


@router.put(
    "/retention",
    response_model=RetentionOut,
    summary="Change the retention period (the daily purge applies it)",
    openapi_extra=action("manage_retention"),
)
def set_retention(body: RetentionIn, ctx: CtxDep) -> RetentionOut:
    return retention.set_retention(ctx, body.retention_days)


@router.post(
    "/purge",
    response_model=PurgeOut,
    summary="Delete every biometric record older than the retention period",
    openapi_extra=action("manage_retention"),
)
def purge(ctx: CtxDep, body: PurgeIn | None = None) -> PurgeOut:
    b = body or PurgeIn()
    return retention.purge(ctx, b.older_than_days, b.dry_run)
