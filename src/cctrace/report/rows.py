"""The report's two tables, route and contacts, as rows of human words.

One source for the HTML/PDF tables and the CSV files, so they always agree. Contacts
are sorted by risk (high, medium, low, anything else), then by exposure (longest
first), then by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cctrace.report.stops import stop_numbers
from cctrace.report.words import (
    DASH,
    duration,
    evidence_words,
    mask_state,
    metres,
    minutes,
    number,
    or_dash,
    parse_time,
    percent,
    when,
    yes_no,
)
from cctrace.schemas import ContactOut, TraceOut
from cctrace.store.records import CameraRecord

RISK_ORDER = {"high": 0, "medium": 1, "low": 2}

ROUTE_HEADER = (
    "stop",
    "camera",
    "site",
    "from",
    "to",
    "duration",
    "confidence",
    "masked share",
    "evidence",
)
CONTACT_HEADER = (
    "contact id",
    "risk",
    "exposure minutes",
    "closest distance m",
    "distance approximate",
    "patient mask",
    "contact mask",
    "cameras",
    "first seen",
    "last seen",
)


@dataclass(frozen=True)
class RouteRow:
    """One stay; ``stop`` is shared by consecutive stays at one camera."""

    stop: int
    camera: str
    camera_name: str
    """The camera's name when it says more than its id, else empty."""
    site: str
    start: str
    end: str
    duration: str
    confidence: str
    masked: str
    evidence: str

    def cells(self) -> tuple[str, ...]:
        return (
            str(self.stop),
            self.camera,
            self.site,
            self.start,
            self.end,
            self.duration,
            self.confidence,
            self.masked,
            self.evidence,
        )


@dataclass(frozen=True)
class EncounterRow:
    camera: str
    start: str
    end: str
    duration: str
    exposure: str
    """Time within the policy's distance, in words."""


@dataclass(frozen=True)
class ContactRow:
    contact_id: str
    risk: str
    risk_class: str
    """``high``, ``medium``, ``low`` or ``other``: the CSS class of the risk colour."""
    exposure_min: str
    exposure: str
    closest_m: str
    closest: str
    approximate: str
    patient_masked: str
    contact_masked: str
    cameras: str
    first_seen: str
    last_seen: str
    encounters: tuple[EncounterRow, ...]

    def cells(self) -> tuple[str, ...]:
        return (
            self.contact_id,
            self.risk,
            self.exposure_min,
            self.closest_m,
            self.approximate,
            self.patient_masked,
            self.contact_masked,
            self.cameras,
            self.first_seen,
            self.last_seen,
        )


def _seconds(start: str, end: str) -> float:
    return (parse_time(end) - parse_time(start)).total_seconds()


def route_rows(trace: TraceOut, cameras: Sequence[CameraRecord] = ()) -> list[RouteRow]:
    """The route's stays in order, numbered by stop."""
    names = {c.camera_id: c.name for c in cameras}
    sites = {c.camera_id: c.site for c in cameras}
    numbers = stop_numbers([s.camera_id for s in trace.route])
    rows = []
    for stop, stay in zip(numbers, trace.route, strict=True):
        name = names.get(stay.camera_id, "")
        rows.append(
            RouteRow(
                stop=stop,
                camera=stay.camera_id,
                camera_name="" if name in ("", stay.camera_id) else name,
                site=or_dash(stay.site if stay.site else sites.get(stay.camera_id)),
                start=when(parse_time(stay.start)),
                end=when(parse_time(stay.end)),
                duration=duration(_seconds(stay.start, stay.end)),
                confidence=percent(stay.confidence),
                masked=percent(stay.masked_ratio),
                evidence=evidence_words(stay.evidence),
            )
        )
    return rows


def sorted_contacts(contacts: Sequence[ContactOut]) -> list[ContactOut]:
    """By risk (high first), then exposure (longest first), then id."""
    return sorted(
        contacts,
        key=lambda c: (RISK_ORDER.get(c.risk, len(RISK_ORDER)), -c.exposure_s, c.contact_id),
    )


def contact_rows(trace: TraceOut) -> list[ContactRow]:
    """The contacts, sorted (see `sorted_contacts`), with their encounters in time order."""
    rows = []
    for c in sorted_contacts(trace.contacts):
        encounters = sorted(c.encounters, key=lambda e: parse_time(e.start))
        cameras = list(dict.fromkeys(e.camera_id for e in encounters))
        closest = metres(c.min_distance_m)
        if c.distance_approximate and closest != DASH:
            closest += " (approximate)"
        rows.append(
            ContactRow(
                contact_id=c.contact_id,
                risk=c.risk,
                risk_class=c.risk if c.risk in RISK_ORDER else "other",
                exposure_min=minutes(c.exposure_s),
                exposure=duration(c.exposure_s),
                closest_m=number(c.min_distance_m),
                closest=closest,
                approximate=yes_no(c.distance_approximate),
                patient_masked=mask_state(c.patient_masked),
                contact_masked=mask_state(c.contact_masked),
                cameras=", ".join(cameras) if cameras else DASH,
                first_seen=when(parse_time(encounters[0].start)) if encounters else DASH,
                last_seen=(
                    when(max(parse_time(e.end) for e in encounters)) if encounters else DASH
                ),
                encounters=tuple(
                    EncounterRow(
                        camera=e.camera_id,
                        start=when(parse_time(e.start)),
                        end=when(parse_time(e.end)),
                        duration=duration(_seconds(e.start, e.end)),
                        exposure=duration(e.exposure_s),
                    )
                    for e in encounters
                ),
            )
        )
    return rows
