"""The administrator's pages: cameras (add, import, calibration, recalibration), site plans,
footage upload with the ingest job's progress, users (add: the token shown once; revoke),
retention and purge.
Admins never see a case, a face or a search: the services refuse it, the menu has none.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from cctrace.core.errors import InputError
from cctrace.geometry.calibration import load_calibration
from cctrace.schemas import JobOut, PurgeOut, UserOut
from cctrace.services import cameras, jobs, retention, sites, users
from cctrace.services.auth import Context
from cctrace.store.users import ROLES
from cctrace.web.deps import UPLOAD, AdminDep, Signed, WebDep, admin, text, upload_form
from cctrace.web.forms import optional_float

router = APIRouter(prefix="/admin", dependencies=[Depends(admin)])

CAMERA_FIELDS = ("camera_id", "name", "site", "x_m", "y_m", "lat", "lon")


@router.get("")
def admin_home() -> Response:
    return RedirectResponse("/admin/cameras", status_code=303)


# -- cameras ---------------------------------------------------------------------------


def _cameras_page(
    request: Request, web: WebDep, signed: Signed, *, status: int = 200, **extra: Any
) -> Response:
    values: dict[str, Any] = {
        "values": {k: "" for k in CAMERA_FIELDS},
        "error": "",
        "error_field": "",
        "import_error": "",
        "calibration_error": "",
        "calibration_camera": "",
        "calibrated": request.query_params.get("calibrated", ""),
        "added": request.query_params.get("added", ""),
        "imported": request.query_params.get("imported", ""),
        **extra,
    }
    listed = cameras.list_cameras(signed.ctx).cameras
    return web.templates.response(
        request, "admin_cameras.html.j2", status=status, signed=signed, cameras=listed, **values
    )


@router.get("/cameras")
def cameras_page(request: Request, web: WebDep, signed: AdminDep) -> Response:
    return _cameras_page(request, web, signed)


def _add_camera(ctx: Context, v: dict[str, str], calibration_path: Any) -> str:
    calibration = None
    if calibration_path is not None:
        try:
            calibration = load_calibration(calibration_path)
        except InputError as exc:
            exc.field = "calibration"
            raise
    out = cameras.add_camera(
        ctx,
        v["camera_id"],
        v["name"],
        v["site"],
        optional_float(v["lat"], "latitude", "lat"),
        optional_float(v["lon"], "longitude", "lon"),
        optional_float(v["x_m"], "x (m)", "x_m"),
        optional_float(v["y_m"], "y (m)", "y_m"),
        calibration,
        where="the web page's camera form",
    )
    return out.id


@router.post("/cameras", openapi_extra=UPLOAD)
async def add_camera(request: Request, web: WebDep, signed: AdminDep) -> Response:
    values = {k: "" for k in CAMERA_FIELDS}
    try:
        async with upload_form(request, signed) as (form, files):
            values = {k: text(form, k) for k in CAMERA_FIELDS}
            calibration = files.get("calibration", [])
            camera_id = await run_in_threadpool(
                _add_camera, signed.ctx, values, calibration[0].path if calibration else None
            )
    except InputError as exc:
        return await run_in_threadpool(
            partial(
                _cameras_page,
                request,
                web,
                signed,
                status=422,
                values=values,
                error=exc.message,
                error_field=exc.field or "",
            )
        )
    return RedirectResponse(f"/admin/cameras?added={quote(camera_id)}", status_code=303)


@router.post("/cameras/import", openapi_extra=UPLOAD)
async def import_cameras(request: Request, web: WebDep, signed: AdminDep) -> Response:
    try:
        async with upload_form(request, signed) as (_form, files):
            listed = files.get("cameras_file", [])
            if not listed:
                raise InputError("choose a camera list (.csv or .geojson) to import")
            upload = listed[0]
            out = await run_in_threadpool(
                cameras.import_cameras, signed.ctx, upload.path, upload.name
            )
    except InputError as exc:
        return await run_in_threadpool(
            partial(_cameras_page, request, web, signed, status=422, import_error=exc.message)
        )
    return RedirectResponse(f"/admin/cameras?imported={len(out.cameras)}", status_code=303)


def _recalibrate(ctx: Context, camera_id: str, calibration_path: Any, name: str) -> None:
    try:
        calibration = load_calibration(calibration_path)
    except InputError as exc:
        exc.message = exc.message.replace(str(calibration_path), name)
        exc.field = "calibration"
        raise
    cameras.set_calibration(ctx, camera_id, calibration)


@router.post("/cameras/calibration", openapi_extra=UPLOAD)
async def recalibrate_camera(request: Request, web: WebDep, signed: AdminDep) -> Response:
    camera_id = ""
    try:
        async with upload_form(request, signed) as (form, files):
            camera_id = text(form, "camera_id")
            listed = files.get("calibration", [])
            if not listed:
                raise InputError(
                    f"choose the calibration file (.json or .csv) for camera {camera_id}",
                    "calibration",
                )
            upload = listed[0]
            await run_in_threadpool(_recalibrate, signed.ctx, camera_id, upload.path, upload.name)
    except InputError as exc:
        return await run_in_threadpool(
            partial(
                _cameras_page,
                request,
                web,
                signed,
                status=422,
                calibration_error=exc.message,
                calibration_camera=camera_id,
            )
        )
    return RedirectResponse(f"/admin/cameras?calibrated={quote(camera_id)}", status_code=303)


# -- site plans --------------------------------------------------------------------------

SITE_FIELDS = ("site", "metres_per_px", "origin_x_px", "origin_y_px")


def _sites_page(
    request: Request, web: WebDep, signed: Signed, *, status: int = 200, **extra: Any
) -> Response:
    values: dict[str, Any] = {
        "values": {k: "" for k in SITE_FIELDS},
        "error": "",
        "error_field": "",
        "stored": request.query_params.get("stored", ""),
        **extra,
    }
    listed = cameras.list_cameras(signed.ctx).cameras
    plans = {p.site: p for p in sites.list_site_plans(signed.ctx).site_plans}
    site_names = sorted({c.site for c in listed if c.site})
    counts = {s: sum(c.site == s for c in listed) for s in site_names}
    return web.templates.response(
        request,
        "admin_sites.html.j2",
        status=status,
        signed=signed,
        sites=site_names,
        counts=counts,
        plans=plans,
        **values,
    )


@router.get("/sites")
def sites_page(request: Request, web: WebDep, signed: AdminDep) -> Response:
    return _sites_page(request, web, signed)


def _set_plan(ctx: Context, v: dict[str, str], path: Any, name: str) -> str:
    mpp = optional_float(v["metres_per_px"], "metres per pixel", "metres_per_px")
    if mpp is None:
        raise InputError("give the plan's scale in metres per pixel", "metres_per_px")
    ox = optional_float(v["origin_x_px"], "origin x (px)", "origin_x_px")
    oy = optional_float(v["origin_y_px"], "origin y (px)", "origin_y_px")
    out = sites.set_site_plan(ctx, v["site"], path, name, mpp, ox or 0.0, oy)
    return out.site


@router.post("/sites", openapi_extra=UPLOAD)
async def upload_site_plan(request: Request, web: WebDep, signed: AdminDep) -> Response:
    values = {k: "" for k in SITE_FIELDS}
    try:
        async with upload_form(request, signed) as (form, files):
            values = {k: text(form, k) for k in SITE_FIELDS}
            listed = files.get("site_plan", [])
            if not listed:
                raise InputError("choose the site plan image (PNG or JPEG)", "site_plan")
            upload = listed[0]
            site = await run_in_threadpool(_set_plan, signed.ctx, values, upload.path, upload.name)
    except InputError as exc:
        return await run_in_threadpool(
            partial(
                _sites_page,
                request,
                web,
                signed,
                status=422,
                values=values,
                error=exc.message,
                error_field=exc.field or "",
            )
        )
    return RedirectResponse(f"/admin/sites?stored={quote(site)}", status_code=303)


@router.get("/sites/{site}/image")
def site_plan_image(site: str, signed: AdminDep) -> Response:
    plan, data = sites.site_plan_image(signed.ctx, site)
    return Response(data, media_type=plan.media_type)


# -- footage -----------------------------------------------------------------------------


def _footage_page(
    request: Request, web: WebDep, signed: Signed, *, status: int = 200, **extra: Any
) -> Response:
    values: dict[str, Any] = {"error": "", "camera_id": "", "start": "", "job": None, **extra}
    listed = cameras.list_cameras(signed.ctx).cameras
    return web.templates.response(
        request, "admin_footage.html.j2", status=status, signed=signed, cameras=listed, **values
    )


@router.get("/footage")
def footage_page(
    request: Request, web: WebDep, signed: AdminDep, job: str | None = None
) -> Response:
    shown = jobs.get_job(signed.ctx, job) if job else None
    return _footage_page(request, web, signed, job=shown)


@router.post("/footage", openapi_extra=UPLOAD)
async def upload_footage(request: Request, web: WebDep, signed: AdminDep) -> Response:
    camera_id = start = ""
    try:
        async with upload_form(request, signed) as (form, files):
            camera_id, start = text(form, "camera_id"), text(form, "start")
            video = files.get("file", [])
            if not video:
                raise InputError("choose the video file to upload", "file")
            upload = video[0]
            started = await run_in_threadpool(
                jobs.start_ingest, signed.ctx, upload.path, upload.name, camera_id, start or None
            )
    except InputError as exc:
        return await run_in_threadpool(
            partial(
                _footage_page,
                request,
                web,
                signed,
                status=422,
                error=exc.message,
                camera_id=camera_id,
                start=start,
            )
        )
    runner = web.runner()
    if runner is not None:
        runner.submit(started.job_id)
    return RedirectResponse(f"/admin/footage?job={started.job_id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_progress(request: Request, job_id: str, web: WebDep, signed: AdminDep) -> Response:
    job: JobOut = jobs.get_job(signed.ctx, job_id)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/admin/footage?job={job_id}", status_code=303)
    return web.templates.response(
        request, "job.html.j2", signed=signed, job=job, poll=f"/admin/jobs/{job_id}", case_id=""
    )


# -- users -------------------------------------------------------------------------------


def _users_page(
    request: Request, web: WebDep, signed: Signed, *, status: int = 200, **extra: Any
) -> Response:
    values: dict[str, Any] = {
        "error": "",
        "issued": None,
        "name": "",
        "role": "investigator",
        "expires": "",
        "revoked": request.query_params.get("revoked", ""),
        **extra,
    }
    listed = users.list_users(signed.ctx).users
    return web.templates.response(
        request,
        "admin_users.html.j2",
        status=status,
        signed=signed,
        users=listed,
        roles=ROLES,
        **values,
    )


@router.get("/users")
def users_page(request: Request, web: WebDep, signed: AdminDep) -> Response:
    return _users_page(request, web, signed)


@router.post("/users")
def add_user(
    request: Request,
    web: WebDep,
    signed: AdminDep,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not name.strip():
            raise InputError("give the new user a name", "name")
        days = optional_float(expires_in_days, "expires in (days)", "expires_in_days")
        issued: UserOut = users.add_user(signed.ctx, name.strip(), role, days)
    except InputError as exc:
        return _users_page(
            request,
            web,
            signed,
            status=422,
            error=exc.message,
            name=name,
            role=role,
            expires=expires_in_days,
        )
    return _users_page(request, web, signed, issued=issued)


@router.post("/users/{name}/revoke")
def revoke_user(name: str, signed: AdminDep) -> Response:
    users.revoke_user(signed.ctx, name)
    return RedirectResponse(f"/admin/users?revoked={quote(name)}", status_code=303)


# -- retention ---------------------------------------------------------------------------


def _retention_page(
    request: Request, web: WebDep, signed: Signed, *, status: int = 200, **extra: Any
) -> Response:
    values: dict[str, Any] = {
        "error": "",
        "purged": None,
        "saved": request.query_params.get("saved") == "1",
        **extra,
    }
    shown = retention.retention_status(signed.ctx)
    return web.templates.response(
        request, "admin_retention.html.j2", status=status, signed=signed, status_=shown, **values
    )


@router.get("/retention")
def retention_page(request: Request, web: WebDep, signed: AdminDep) -> Response:
    return _retention_page(request, web, signed)


@router.post("/retention")
def set_retention(
    request: Request, web: WebDep, signed: AdminDep, days: Annotated[str, Form()] = ""
) -> Response:
    try:
        value = days.strip()
        if not value.isdigit():
            raise InputError(f"retention period {value!r}: give a whole number of days", "days")
        retention.set_retention(signed.ctx, int(value))
    except InputError as exc:
        return _retention_page(request, web, signed, status=422, error=exc.message)
    return RedirectResponse("/admin/retention?saved=1", status_code=303)


@router.post("/retention/purge")
def purge(request: Request, web: WebDep, signed: AdminDep) -> Response:
    done: PurgeOut = retention.purge(signed.ctx)
    return _retention_page(request, web, signed, purged=done)
