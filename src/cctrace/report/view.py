"""A `ReportData` as the page shows it: every value already in human words.

The template only lays this out; it decides nothing and formats nothing. Images are
embedded as data: URIs so the HTML is one self-contained file.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from pathlib import Path

from cctrace.config import Policy
from cctrace.core.errors import InputError
from cctrace.report.model import EvidenceThumb, ReportCase, ReportData
from cctrace.report.plane import to_plane
from cctrace.report.rows import ContactRow, RouteRow, contact_rows, route_rows
from cctrace.report.sitemap import SiteMap, site_map
from cctrace.report.stops import stop_numbers
from cctrace.report.timeline import TimelineStay, timeline_svg
from cctrace.report.words import duration, or_dash, parse_time, when

REGION_LIST_MAX = 12
"""A region's cameras are listed by id up to this many, then counted."""


@dataclass(frozen=True)
class Field:
    label: str
    value: str
    code: bool = False
    """A hash or an id: set in a monospaced font and allowed to wrap anywhere."""


@dataclass(frozen=True)
class Thumb:
    caption: str
    data_uri: str


@dataclass(frozen=True)
class ReportView:
    title: str
    summary: str
    case_fields: tuple[Field, ...]
    consent_fields: tuple[Field, ...]
    policy_fields: tuple[Field, ...]
    run_fields: tuple[Field, ...]
    route: tuple[RouteRow, ...]
    timeline_svg: str
    timeline_note: str
    site_map: SiteMap
    contacts: tuple[ContactRow, ...]
    thumbs: tuple[Thumb, ...]
    footer: str


def _region(case: ReportCase) -> str:
    parts = []
    if case.site is not None and case.site.strip():
        parts.append(f"site {case.site.strip()}")
    if case.camera_ids is not None:
        ids = list(case.camera_ids)
        if not ids:
            parts.append("no camera")
        else:
            shown = ", ".join(ids[:REGION_LIST_MAX])
            more = len(ids) - REGION_LIST_MAX
            word = "camera" if len(ids) == 1 else "cameras"
            parts.append(f"{word} {shown}" + (f" and {more} more" if more > 0 else ""))
    return "; ".join(parts) if parts else "every camera"


def _threshold_words(policy: Policy) -> tuple[Field, ...]:
    masks = (
        "time when both are properly masked does not count"
        if policy.both_masked_exempt
        else "masks do not change exposure"
    )
    window = "the whole case window" if policy.window_s is None else duration(policy.window_s)
    return (
        Field("Policy", policy.name),
        Field("Description", or_dash(policy.description)),
        Field(
            "Close contact",
            f"within {policy.distance_m:g} m for {duration(policy.min_exposure_s)} "
            f"cumulative, summed over {window}",
        ),
        Field(
            "Risk",
            f"high from {duration(policy.min_exposure_s)} of exposure, medium from "
            f"{duration(policy.min_exposure_s * policy.medium_fraction)}, else low",
        ),
        Field("Masks", masks),
    )


def _data_uri(thumb: EvidenceThumb) -> str:
    path = Path(thumb.image_path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(
            f"evidence image {path} cannot be read ({e.strerror or e}); export the case's "
            "evidence again or leave the image out of the report"
        ) from None
    if raw.startswith(b"\xff\xd8\xff"):
        mime = "image/jpeg"
    elif raw.startswith(b"\x89PNG\r\n\x1a\n"):
        mime = "image/png"
    else:
        raise InputError(
            f"evidence image {path} is neither JPEG nor PNG; the report embeds only the "
            "redacted JPEG/PNG frames of an evidence export"
        )
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def check_report(data: ReportData) -> None:
    """Refuse a report whose trace run is of another case, or ran under another policy."""
    if data.trace.case_id != data.case.case_id:
        raise InputError(
            f"trace run {data.trace_id} is of case {data.trace.case_id}, not of case "
            f"{data.case.case_id}: build the report from a run of this case"
        )
    if data.trace.trace_id != data.trace_id:
        raise InputError(
            f"the result given is of trace run {data.trace.trace_id}, not of run "
            f"{data.trace_id}: build the report from one saved run"
        )
    if data.trace.policy != data.policy.name:
        raise InputError(
            f"trace run {data.trace_id} used policy {data.trace.policy}, but the report "
            f"was given policy {data.policy.name}: pass the run's own policy"
        )


def _summary(route: list[RouteRow], contacts: list[ContactRow]) -> str:
    if not route:
        stays = "The patient was not found in the footage of the case window"
    else:
        cameras = len({r.camera for r in route})
        stays = (
            f"{len(route)} {'stay' if len(route) == 1 else 'stays'} at {cameras} "
            f"{'camera' if cameras == 1 else 'cameras'}"
        )
    if not contacts:
        return f"{stays}; no contact found."
    counts = {k: sum(c.risk == k for c in contacts) for k in ("high", "medium", "low")}
    parts = [f"{n} {k} risk" for k, n in counts.items()]
    other = len(contacts) - sum(counts.values())
    if other:
        parts.append(f"{other} other")
    word = "contact" if len(contacts) == 1 else "contacts"
    return f"{stays}; {len(contacts)} {word}: {', '.join(parts)}."


def build_view(data: ReportData) -> ReportView:
    """Everything the template shows (raises `InputError` for an inconsistent report)."""
    check_report(data)
    case, trace = data.case, data.trace
    route = route_rows(trace, data.cameras)
    contacts = contact_rows(trace)
    numbers = stop_numbers([s.camera_id for s in trace.route])
    stays = [
        TimelineStay(s.camera_id, parse_time(s.start), parse_time(s.end), n)
        for s, n in zip(trace.route, numbers, strict=True)
    ]
    days = sorted(
        {parse_time(s.start).date() for s in trace.route}
        | {parse_time(s.end).date() for s in trace.route}
    )
    timeline_note = ""
    if days:
        span = str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"
        timeline_note = f"Times in UTC, {span}. Bars are stays; numbers are stops (as on the map)."
    route_cameras = [s.camera_id for s in trace.route]
    audit = "not recorded" if data.audit_seq is None else str(data.audit_seq)
    face_match = "not recorded"
    if math.isfinite(trace.face_threshold):
        face_match = (
            f"similarity at least {trace.face_threshold:.3f}, over "
            f"{trace.faces_searched:,} faces searched"
        )
    return ReportView(
        title=f"Contact-tracing report: case {case.case_id}",
        summary=_summary(route, contacts),
        case_fields=(
            Field("Case", case.case_id, code=True),
            Field("Label", or_dash(case.label)),
            Field("Window", f"{when(case.window_from)} to {when(case.window_to)}"),
            Field("Region", _region(case)),
            Field("Investigator", or_dash(case.investigator)),
        ),
        consent_fields=(
            Field("Consent given by", or_dash(case.consent_given_by)),
            Field("Consent date", when(case.consent_date)),
            Field("Consent form SHA-256", or_dash(case.consent_sha256), code=True),
            Field("Diagnosis reference", or_dash(case.diagnosis_ref)),
        ),
        policy_fields=_threshold_words(data.policy),
        run_fields=(
            Field("Report", data.report_id, code=True),
            Field("Generated", when(data.generated_at)),
            Field("Trace run", data.trace_id, code=True),
            Field("Traced at", when(data.trace_at)),
            Field("Result SHA-256", or_dash(data.trace_sha256), code=True),
            Field("Face match", face_match),
            Field("Audit entry", audit),
        ),
        route=tuple(route),
        timeline_svg=timeline_svg(stays),
        timeline_note=timeline_note,
        site_map=site_map(to_plane(data.cameras, route_cameras), route_cameras),
        contacts=tuple(contacts),
        thumbs=tuple(Thumb(or_dash(t.caption), _data_uri(t)) for t in data.evidence),
        footer=f"Case {case.case_id} · report {data.report_id} · audit entry {audit}",
    )
