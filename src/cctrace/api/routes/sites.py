"""Site plans: upload a site's plan image with its scale (admin); list them and read an
image (admins and investigators, whose route map draws the site's cameras over it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from cctrace.api.deps import CtxDep, action
from cctrace.api.uploads import UploadRoute, upload_name, upload_path
from cctrace.schemas import SitePlanOut, SitePlansOut
from cctrace.services import sites

router = APIRouter(tags=["sites"])
uploads = APIRouter(tags=["sites"], route_class=UploadRoute)


@uploads.post(
    "/site-plans",
    status_code=201,
    response_model=SitePlanOut,
    summary="Upload a site's plan image (PNG or JPEG) with its scale; replaces the previous one",
    openapi_extra=action("manage_cameras"),
)
def set_site_plan(
    ctx: CtxDep,
    site_plan: Annotated[UploadFile, File(description="The plan image, PNG or JPEG.")],
    site: Annotated[str, Form(description="The site, as its cameras name it.", max_length=200)],
    metres_per_px: Annotated[float, Form(description="Metres per image pixel (> 0).")],
    origin_x_px: Annotated[
        float, Form(description="Image column (px from the left) of the plan's x = 0 m.")
    ] = 0.0,
    origin_y_px: Annotated[
        float | None,
        Form(description="Image row (px from the top) of the plan's y = 0 m; default the bottom."),
    ] = None,
) -> SitePlanOut:
    return sites.set_site_plan(
        ctx,
        site,
        upload_path(site_plan),
        upload_name(site_plan),
        metres_per_px,
        origin_x_px,
        origin_y_px,
    )


@router.get(
    "/site-plans",
    response_model=SitePlansOut,
    summary="The sites' plan images and their scales (without the images)",
    openapi_extra=action("list_cameras"),
)
def list_site_plans(ctx: CtxDep) -> SitePlansOut:
    return sites.list_site_plans(ctx)


@router.get(
    "/site-plans/{site}/image",
    response_class=Response,
    summary="A site's plan image (PNG or JPEG)",
    openapi_extra=action("list_cameras"),
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}},
)
def site_plan_image(site: str, ctx: CtxDep) -> Response:
    plan, data = sites.site_plan_image(ctx, site)
    return Response(data, media_type=plan.media_type)
