"""Cameras: register one (with its floor calibration), import a list, list them."""

from __future__ import annotations

import json
from pathlib import Path

from cctrace.core.errors import NotFoundError
from cctrace.geometry.calibration import Calibration, calibration_to_json, stored_floor_frame
from cctrace.schemas import CameraOut, CamerasOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.camera_import import camera_record, read_cameras
from cctrace.store.records import CameraRecord


def camera_out(c: CameraRecord) -> CameraOut:
    return CameraOut(
        id=c.camera_id,
        name=c.name,
        site=c.site,
        lat=c.lat,
        lon=c.lon,
        x_m=c.x_m,
        y_m=c.y_m,
        calibrated=c.calibration_json is not None,
        reprojection_error_m=c.reprojection_error_m,
        floor_frame=stored_floor_frame(c.calibration_json),
    )


def add_camera(
    ctx: Context,
    camera_id: str,
    name: str,
    site: str = "",
    lat: float | None = None,
    lon: float | None = None,
    x_m: float | None = None,
    y_m: float | None = None,
    calibration: Calibration | None = None,
    where: str = "cameras add",
) -> CameraOut:
    """Register one camera; every field is checked before anything is stored."""
    record_ = camera_record(
        camera_id,
        name,
        site=site,
        lat=lat,
        lon=lon,
        x_m=x_m,
        y_m=y_m,
        calibration=calibration,
        where=where,
    )
    authorize(ctx, "manage_cameras")
    added = ctx.store.add_camera(record_)
    record(ctx, AuditEvent("add_camera", "added", target=added.camera_id))
    return camera_out(added)


def set_calibration(ctx: Context, camera_id: str, calibration: Calibration) -> CameraOut:
    """Give an existing camera a new floor calibration (its reprojection error is in the
    answer). Footage indexed before keeps the floor paths of the calibration it had;
    footage indexed from now on uses this one."""
    authorize(ctx, "manage_cameras")
    before = ctx.store.get_camera(camera_id)
    if before is None:
        raise NotFoundError(
            f"unknown camera {camera_id!r}: add it first, or see the known ones "
            "with `cctrace cameras list`",
            "camera_id",
        )
    stored = ctx.store.set_calibration(
        camera_id, json.dumps(calibration_to_json(calibration)), calibration.reprojection_error_m
    )
    was = (
        "none"
        if before.reprojection_error_m is None
        else f"{before.reprojection_error_m:.3f} m reprojection error"
    )
    record(
        ctx,
        AuditEvent(
            "calibrate_camera",
            "replaced" if before.calibration_json else "added",
            target=f"camera {camera_id}: {calibration.reprojection_error_m:.3f} m reprojection "
            f"error (was {was})",
        ),
    )
    return camera_out(stored)


def import_cameras(ctx: Context, file: Path, uploaded_as: str | None = None) -> CamerasOut:
    """Register every camera of a CSV or GeoJSON file, all or none.

    ``uploaded_as``: the file was uploaded under this name (the web page): it may not name
    calibration files, which would be the server's own."""
    # Every row is checked before anything is stored.
    records = read_cameras(file, calibration_files=uploaded_as is None)
    authorize(ctx, "manage_cameras")
    added = ctx.store.add_cameras(records)
    name = uploaded_as if uploaded_as is not None else file.name
    record(ctx, AuditEvent("add_camera", f"imported {len(added)} cameras", target=name))
    return CamerasOut(cameras=[camera_out(c) for c in added])


def list_cameras(ctx: Context) -> CamerasOut:
    authorize(ctx, "list_cameras")
    return CamerasOut(cameras=[camera_out(c) for c in ctx.store.list_cameras()])
