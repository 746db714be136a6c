"""What the case page shows of a saved trace: the report's own rows, time bar and plane.

The route table, the contacts table and the time bar are the printed report's
(`cctrace.report.rows`, `cctrace.report.timeline`), so the page and the PDF say the same
thing in the same words; the map gets the cameras on the report's plane
(`cctrace.report.plane`: site-plan metres, or lat/lon projected to local metres) as JSON
for Leaflet, with the stops numbered as in the table, over the site's plan image when the
drawn frame is a site with one (its bounds in the site-plan metres of its scale).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from cctrace.report.plane import NotPlaced, to_plane
from cctrace.report.rows import RISK_ORDER, ContactRow, RouteRow, contact_rows, route_rows
from cctrace.report.rows import sorted_contacts as sort_contacts
from cctrace.report.stops import stop_numbers
from cctrace.report.timeline import TimelineStay, timeline_svg
from cctrace.report.words import parse_time
from cctrace.schemas import CameraOut, SitePlanOut, TraceOut
from cctrace.store.records import CameraRecord


@dataclass(frozen=True)
class ContactView:
    """A contact's row in words, and the numbers its table is sorted by."""

    row: ContactRow
    risk_rank: int
    exposure_s: float
    distance_m: float
    """The closest distance; a large number when unknown (sorted last)."""
    approximate: bool


@dataclass(frozen=True)
class TraceView:
    trace: TraceOut
    route: list[RouteRow]
    contacts: list[ContactView]
    timeline: Markup
    map_data: dict[str, Any]
    not_placed: list[NotPlaced]


def camera_records(cameras: list[CameraOut]) -> list[CameraRecord]:
    return [
        CameraRecord(c.id, c.name, c.site, c.lat, c.lon, c.x_m, c.y_m, calibration_json=None)
        for c in cameras
    ]


def plan_bounds(plan: SitePlanOut) -> list[list[float]]:
    """The plan image's corners in site-plan metres, as Leaflet's [[south, west], [north,
    east]] (y up): the origin pixel is at 0,0 m, image rows count down."""
    mpp = plan.metres_per_px
    west = -plan.origin_x_px * mpp
    east = (plan.width_px - plan.origin_x_px) * mpp
    north = plan.origin_y_px * mpp
    south = (plan.origin_y_px - plan.height_px) * mpp
    return [[round(south, 3), round(west, 3)], [round(north, 3), round(east, 3)]]


def map_data(
    trace: TraceOut,
    cameras: list[CameraRecord],
    plans: Sequence[SitePlanOut] = (),
    plan_url: Callable[[str], str] | None = None,
) -> tuple[dict[str, Any], list[NotPlaced]]:
    """The map's JSON: every camera of the drawn frame (x right, y up, metres) with the
    stops made there, the route through the stops in order, and the site's plan image
    (its address and bounds) when the frame is a site that has one."""
    route_ids = [s.camera_id for s in trace.route]
    plane = to_plane(cameras, route_ids)
    numbers = stop_numbers(route_ids)
    stops: dict[str, list[int]] = {}
    order: list[str] = []
    for n, camera_id in zip(numbers, route_ids, strict=True):
        if n not in stops.get(camera_id, []):
            stops.setdefault(camera_id, []).append(n)
            order.append(camera_id)
    points = {p.camera_id: p for p in plane.points}
    data: dict[str, Any] = {
        "frame": plane.frame,
        "site": plane.site,
        "cameras": [
            {
                "id": p.camera_id,
                "name": p.name,
                "x": round(p.x_m, 3),
                "y": round(p.y_m, 3),
                "stops": stops.get(p.camera_id, []),
            }
            for p in plane.points
        ],
        "path": [[round(points[c].y_m, 3), round(points[c].x_m, 3)] for c in order if c in points],
    }
    plan = next((p for p in plans if plane.frame == "site" and p.site == plane.site), None)
    if plan is not None and plan_url is not None:
        data["plan"] = {
            "url": plan_url(plan.site),
            "bounds": plan_bounds(plan),
            "file_name": plan.file_name,
        }
    return data, list(plane.not_placed)


def trace_view(
    trace: TraceOut,
    cameras: list[CameraOut],
    plans: Sequence[SitePlanOut] = (),
    plan_url: Callable[[str], str] | None = None,
) -> TraceView:
    records = camera_records(cameras)
    numbers = stop_numbers([s.camera_id for s in trace.route])
    stays = [
        TimelineStay(s.camera_id, parse_time(s.start), parse_time(s.end), n)
        for s, n in zip(trace.route, numbers, strict=True)
    ]
    # Inline SVG needs no namespace in HTML (and the page names no other site's address).
    svg = timeline_svg(stays).replace(' xmlns="http://www.w3.org/2000/svg"', "")
    contacts = [
        ContactView(
            row=row,
            risk_rank=RISK_ORDER.get(c.risk, len(RISK_ORDER)),
            exposure_s=c.exposure_s,
            distance_m=c.min_distance_m if math.isfinite(c.min_distance_m) else 1e9,
            approximate=c.distance_approximate,
        )
        for c, row in zip(sort_contacts(trace.contacts), contact_rows(trace), strict=True)
    ]
    data, not_placed = map_data(trace, records, plans, plan_url)
    return TraceView(
        trace=trace,
        route=route_rows(trace, records),
        contacts=contacts,
        timeline=Markup(svg),  # our own SVG, its texts escaped by `timeline_svg`
        map_data=data,
        not_placed=not_placed,
    )
