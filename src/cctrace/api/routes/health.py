"""GET /api/v1/health: the one route that needs no token."""

from __future__ import annotations

from fastapi import APIRouter

from cctrace import __version__
from cctrace.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Whether the server is up")
def health() -> HealthOut:
    return HealthOut(status="ok", version=__version__)
