"""The investigator's cases: the list, and opening a case for a consenting patient."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from cctrace.core.errors import InputError, NoFaceError
from cctrace.schemas import CameraOut
from cctrace.services import cameras, cases
from cctrace.services.auth import Context
from cctrace.web.deps import (
    UPLOAD,
    InvestigatorDep,
    Signed,
    WebDep,
    investigator,
    text,
    upload_form,
)
from cctrace.web.forms import id_list, window_bound

router = APIRouter(prefix="/cases", dependencies=[Depends(investigator)])

CASE_FIELDS = (
    "label",
    "consent_given_by",
    "consent_date",
    "diagnosis_ref",
    "from",
    "from_time",
    "to",
    "to_time",
    "site",
    "cameras",
)


@router.get("")
def my_cases(request: Request, web: WebDep, signed: InvestigatorDep) -> Response:
    overview = cases.cases_overview(signed.ctx)
    return web.templates.response(request, "cases.html.j2", signed=signed, cases=overview.cases)


def _new_case_page(
    request: Request,
    web: WebDep,
    signed: Signed,
    cams: list[CameraOut],
    values: dict[str, str],
    error: str = "",
    error_field: str | None = None,
    status: int = 200,
) -> Response:
    return web.templates.response(
        request,
        "case_new.html.j2",
        status=status,
        signed=signed,
        sites=sorted({c.site for c in cams if c.site}),
        cameras=cams,
        values=values,
        error=error,
        error_field=error_field or "",
    )


@router.get("/new")
def new_case(request: Request, web: WebDep, signed: InvestigatorDep) -> Response:
    cams = cameras.list_cameras(signed.ctx).cameras
    return _new_case_page(request, web, signed, cams, {k: "" for k in CASE_FIELDS})


def _open(
    ctx: Context,
    values: dict[str, str],
    photos: list[tuple[Path, str]],
    consent: Path | None,
    consent_name: str | None = None,
) -> str:
    return cases.open_case(
        ctx,
        [p for p, _ in photos],
        consent,
        values["consent_given_by"],
        values["consent_date"],
        window_bound(values["from"], values["from_time"]),
        window_bound(values["to"], values["to_time"], end=True),
        values["label"],
        values["site"] or None,
        id_list(values["cameras"]),
        photo_names=[name for _, name in photos],
        diagnosis_ref=values["diagnosis_ref"],
        consent_name=consent_name,
    ).case_id


@router.post("/new", openapi_extra=UPLOAD)
async def open_case(request: Request, web: WebDep, signed: InvestigatorDep) -> Response:
    values = {k: "" for k in CASE_FIELDS}
    try:
        async with upload_form(request, signed) as (form, files):
            values = {k: text(form, k) for k in CASE_FIELDS}
            photos = [(p.path, p.name) for p in files.get("patient_photo", [])]
            consent = files.get("consent_file", [])
            case_id = await run_in_threadpool(
                _open,
                signed.ctx,
                values,
                photos,
                consent[0].path if consent else None,
                consent[0].name if consent else None,
            )
    except (InputError, NoFaceError) as exc:
        cams = (await run_in_threadpool(cameras.list_cameras, signed.ctx)).cameras
        return _new_case_page(
            request, web, signed, cams, values, exc.message, exc.field, status=422
        )
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
