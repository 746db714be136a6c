"""Cameras: register one (admin), with its floor calibration; list them."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, action
from cctrace.core.errors import CctraceError
from cctrace.geometry.calibration import calibration_from_json
from cctrace.schemas import CameraOut, CamerasOut
from cctrace.services import cameras

router = APIRouter(tags=["cameras"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalibrationPointIn(_In):
    image: list[float] = Field(min_length=2, max_length=2, description="[u, v] pixels.")
    floor: list[float] = Field(min_length=2, max_length=2, description="[x, y] metres.")


class CalibrationIn(_In):
    """The calibration file's JSON format (`cctrace cameras add --calibration`)."""

    points: list[CalibrationPointIn] = Field(max_length=10_000)
    image_size: list[int] | None = Field(default=None, min_length=2, max_length=2)
    max_error_m: float | None = None
    homography: list[list[float]] | None = None
    reprojection_error_m: float | None = None
    floor_frame: str | None = Field(default=None, max_length=200)


class CameraIn(_In):
    camera_id: str = Field(max_length=200)
    name: str = Field(max_length=500)
    site: str = Field(default="", max_length=500)
    x_m: float | None = None
    y_m: float | None = None
    lat: float | None = None
    lon: float | None = None
    calibration: CalibrationIn | None = None


@router.post(
    "/cameras",
    status_code=201,
    response_model=CameraOut,
    summary="Register a camera, with an optional floor calibration",
    openapi_extra=action("manage_cameras"),
)
def add_camera(body: CameraIn, ctx: CtxDep) -> CameraOut:
    calibration = None
    if body.calibration is not None:
        try:
            calibration = calibration_from_json(
                body.calibration.model_dump(exclude_none=True),
                f"the calibration of camera {body.camera_id}",
            )
        except CctraceError as exc:
            exc.field = "calibration"
            raise
    return cameras.add_camera(
        ctx,
        body.camera_id,
        body.name,
        body.site,
        body.lat,
        body.lon,
        body.x_m,
        body.y_m,
        calibration,
        where="POST /api/v1/cameras",
    )


@router.put(
    "/cameras/{camera_id}/calibration",
    response_model=CameraOut,
    summary="Replace a camera's floor calibration (footage indexed from now on uses it)",
    openapi_extra=action("manage_cameras"),
)
def set_calibration(camera_id: str, body: CalibrationIn, ctx: CtxDep) -> CameraOut:
    try:
        calibration = calibration_from_json(
            body.model_dump(exclude_none=True), f"the calibration of camera {camera_id}"
        )
    except CctraceError as exc:
        exc.field = "calibration"
        raise
    return cameras.set_calibration(ctx, camera_id, calibration)


@router.get(
    "/cameras",
    response_model=CamerasOut,
    summary="The registered cameras",
    openapi_extra=action("list_cameras"),
)
def list_cameras(ctx: CtxDep) -> CamerasOut:
    return cameras.list_cameras(ctx)
