"""Users (admin): create one (its token is in the answer, once), revoke one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import UserOut, UserRevokedOut
from cctrace.services import users

router = APIRouter(tags=["users"])


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Login name.")
    role: Literal["admin", "investigator", "supervisor", "auditor", "ingest"]
    expires_in_days: float | None = Field(
        default=None, gt=0, le=3650, description="The token stops working this many days from now."
    )


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    summary="Create a user; the answer holds its token, shown this once",
    openapi_extra=action("manage_users"),
)
def add_user(body: UserIn, ctx: CtxDep) -> UserOut:
    return users.add_user(ctx, body.name, body.role, body.expires_in_days)


@router.delete(
    "/users/{name}",
    response_model=UserRevokedOut,
    summary="Revoke a user's token now",
    openapi_extra=action("manage_users"),
)
def revoke_user(name: str, ctx: CtxDep) -> UserRevokedOut:
    return users.revoke_user(ctx, name)
