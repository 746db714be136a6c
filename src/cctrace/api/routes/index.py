"""GET /api/v1/index/stats (admin): counts of the index, as `cctrace index stats --json`."""

from __future__ import annotations

from fastapi import APIRouter

from cctrace.api.deps import CtxDep, action
from cctrace.schemas import IndexStatsOut
from cctrace.services import footage

router = APIRouter(tags=["index"])


@router.get(
    "/index/stats",
    response_model=IndexStatsOut,
    summary="Counts of cameras, videos, sightings and faces",
    openapi_extra=action("read_index"),
)
def index_stats(ctx: CtxDep) -> IndexStatsOut:
    return footage.index_stats(ctx)
