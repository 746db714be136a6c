"""Cases: an investigator opens one with the patient's consent, lists, reads and closes
their own; a supervisor lists every case's metadata and approves or rejects pending ones;
the owner or a supervisor records a withdrawal of consent."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from cctrace.api.deps import CtxDep, action
from cctrace.api.uploads import UploadRoute, upload_name, upload_path
from cctrace.schemas import CaseCloseOut, CaseDecisionOut, CaseDetailOut, CaseOut, CasesOut
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
    diagnosis_ref: Annotated[
        str, Form(description="The health authority's case or lab report number.")
    ],
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
        diagnosis_ref=diagnosis_ref,
        consent_name=upload_name(consent_file),
    )


router.add_api_route(
    "/cases",
    open_case,
    methods=["POST"],
    status_code=201,
    response_model=CaseOut,
    summary="Open a case for a consenting patient (pending until a supervisor approves it)",
    openapi_extra=action("open_case"),
    route_class_override=UploadRoute,
)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="Why (recorded in the audit log).", max_length=1000)


@router.get(
    "/cases",
    response_model=CasesOut,
    summary="Cases, newest first: your own; a supervisor's, every case's metadata",
    openapi_extra=action("list_cases"),
)
def list_cases(
    ctx: CtxDep,
    status: Annotated[
        Literal["pending", "approved", "rejected", "closed"] | None,
        Query(description="Only cases in this state."),
    ] = None,
) -> CasesOut:
    return cases.list_cases(ctx, status)


@router.post(
    "/cases/{case_id}/approve",
    response_model=CaseDecisionOut,
    summary="Approve a pending case so that it may be traced (a supervisor, never its owner)",
    openapi_extra=action("review_case"),
)
def approve_case(case_id: str, body: ReasonIn, ctx: CtxDep) -> CaseDecisionOut:
    return cases.approve_case(ctx, case_id, body.reason)


@router.post(
    "/cases/{case_id}/reject",
    response_model=CaseDecisionOut,
    summary="Reject a pending case: never traced, its reference faces destroyed",
    openapi_extra=action("review_case"),
)
def reject_case(case_id: str, body: ReasonIn, ctx: CtxDep) -> CaseDecisionOut:
    return cases.reject_case(ctx, case_id, body.reason)


@router.post(
    "/cases/{case_id}/withdraw",
    response_model=CaseCloseOut,
    summary="The patient withdrew consent: the case closes at once, as on close",
    openapi_extra=action("withdraw_case"),
)
def withdraw_case(case_id: str, body: ReasonIn, ctx: CtxDep) -> CaseCloseOut:
    return cases.withdraw_case(ctx, case_id, body.reason)


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
