"""GET /api/v1/me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import MeOut
from cctrace.services import users

router = APIRouter(tags=["users"])


@router.get("/me", response_model=MeOut, summary="The caller", openapi_extra=action("whoami"))
def me(ctx: CtxDep) -> MeOut:
    return users.whoami(ctx)
