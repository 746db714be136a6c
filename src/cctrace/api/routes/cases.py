"""Cases (investigator, own cases only): open one with the patient's consent, list, read,
close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from cctrace.api.deps import CtxDep, action
from cctrace.api.uploads import UploadRoute, upload_name, upload_path
from cctrace.schemas import CaseCloseOut, CaseDetailOut, CaseOut, CasesOut
from cctrace.services import cases

router = APIRouter(tags=["cases"])


def open_case(
    ctx: CtxDep,
    patient_photo: Annotated[
        list[UploadFile], File(description="One or more photos of the patient's face.")
    ],
    consent_file: Annotated[UploadFile, File(description="The scanned, signed consent form.")],
    consent_given_by: Annotated[str, Form(description="Who consented.")],
    consent_date: Annotated[str, Form(description="When consent was given (ISO 8601).")],
    t_from: Annotated[str, Form(alias="from", description="Window start (ISO 8601).")],
    t_to: Annotated[str, Form(alias="to", description="Window end (ISO 8601).")],
    site: Annotated[str | None, Form(description="Search only this site's cameras.")] = None,
    cameras: Annotated[
        str | None, Form(description="Search only these cameras (comma-separated ids).")
    ] = None,
    label: Annotated[str, Form(description="A label for the case (no personal data).")] = "",
) -> CaseOut:
    ids = [c.strip() for c in cameras.split(",") if c.strip()] if cameras else None
    return cases.open_case(
        ctx,
        [upload_path(p) for p in patient_photo],
        upload_path(consent_file),
        consent_given_by,
        consent_date,
        t_from,
        t_to,
        label,
        site or None,
        ids,
        photo_names=[upload_name(p) for p in patient_photo],
    )


router.add_api_route(
    "/cases",
    open_case,
    methods=["POST"],
    status_code=201,
    response_model=CaseOut,
    summary="Open a case for a consenting patient; nothing is stored without consent",
    openapi_extra=action("open_case"),
    route_class_override=UploadRoute,
)


@router.get(
    "/cases",
    response_model=CasesOut,
    summary="Your cases, newest first",
    openapi_extra=action("view_case"),
)
def list_cases(ctx: CtxDep) -> CasesOut:
    return cases.list_cases(ctx)


@router.get(
    "/cases/{case_id}",
    response_model=CaseDetailOut,
    summary="One of your cases; a closed one with its summary",
    openapi_extra=action("view_case"),
)
def get_case(case_id: str, ctx: CtxDep) -> CaseDetailOut:
    return cases.get_case(ctx, case_id)


@router.post(
    "/cases/{case_id}/close",
    response_model=CaseCloseOut,
    summary="Close your case: its reference faces, exports and trace results are destroyed",
    openapi_extra=action("close_case"),
)
def close_case(case_id: str, ctx: CtxDep) -> CaseCloseOut:
    return cases.close_case(ctx, case_id)
