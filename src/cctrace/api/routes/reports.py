"""GET the report of a saved trace run: PDF, HTML, CSV or JSON (creating one is audited)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from cctrace.api.deps import CtxDep, action

router = APIRouter(tags=["reports"])

_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report, as an attachment named without personal data",
        "content": {
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/html": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/TraceOut"}},
        },
    }
}


@router.get(
    "/cases/{case_id}/traces/{trace_id}/report",
    response_class=Response,
    responses=_REPORT,
    summary="The report of a saved trace run",
    openapi_extra=action("export_report"),
)
def report(
    case_id: str,
    trace_id: str,
    ctx: CtxDep,
    format: Literal["pdf", "html", "csv", "json"] = "pdf",
    table: Literal["contacts", "route"] = "contacts",
) -> Response:
    from cctrace.services.reports import report as make_report

    made = make_report(ctx, case_id, trace_id, format, table)
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )
