"""Report inputs: a realistic saved trace run (3 cameras on the route) and an empty one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from cctrace.config import get_policy
from cctrace.report.model import EvidenceThumb, ReportCase, ReportData
from cctrace.schemas import ContactOut, EncounterOut, StayOut, TraceOut
from cctrace.store.records import CameraRecord

DAY = "2026-12-07"
SITE = "Central Station"

# Site-plan metres: A, B, C are on the route, D is not, E has no position at all.
CAMERAS = (
    CameraRecord("cam-A", "Concourse west", SITE, x_m=0.0, y_m=0.0),
    CameraRecord("cam-B", "Platform 3 stairs", SITE, x_m=36.0, y_m=8.0),
    CameraRecord("cam-C", "Ticket hall", SITE, x_m=14.0, y_m=27.0),
    CameraRecord("cam-D", "Bike park", SITE, x_m=30.0, y_m=22.0),
    CameraRecord("cam-E", "Lift lobby", SITE),
)
ROUTE_CAMERAS = ("cam-A", "cam-B", "cam-C")
CONTACT_IDS = ("ct-9f2a41", "ct-03bd77", "ct-5e10c2", "ct-a8e4d9")


def t(clock: str) -> str:
    """An ISO time of the test day, as the trace's JSON writes it."""
    return f"{DAY}T{clock}+00:00"


def stay(camera: str, start: str, end: str, masked: float | None, evidence: str) -> StayOut:
    return StayOut(
        camera_id=camera,
        site=SITE,
        start=t(start),
        end=t(end),
        confidence=0.93,
        masked_ratio=masked,
        evidence=evidence,
    )


def encounter(camera: str, start: str, end: str, exposure_s: float) -> EncounterOut:
    return EncounterOut(camera_id=camera, start=t(start), end=t(end), exposure_s=exposure_s)


def trace_out() -> TraceOut:
    route = [
        stay("cam-A", "10:00:05", "10:04:40", 0.0, "face"),
        stay("cam-A", "10:04:50", "10:06:10", 0.0, "track"),
        stay("cam-B", "10:08:30", "10:21:00", 0.4, "face"),
        stay("cam-C", "10:24:10", "10:26:00", None, "appearance"),
        stay("cam-B", "10:28:00", "10:35:30", 1.0, "face"),
    ]
    contacts = [
        # Deliberately out of order: the report sorts by risk, then exposure.
        ContactOut(
            contact_id="ct-5e10c2",
            risk="low",
            exposure_s=95.0,
            min_distance_m=1.62,
            distance_approximate=True,
            patient_masked=None,
            contact_masked=None,
            encounters=[encounter("cam-C", "10:24:20", "10:25:55", 95.0)],
        ),
        ContactOut(
            contact_id="ct-9f2a41",
            risk="high",
            exposure_s=1010.0,
            min_distance_m=0.64,
            distance_approximate=False,
            patient_masked=False,
            contact_masked=True,
            encounters=[
                encounter("cam-B", "10:08:40", "10:20:50", 730.0),
                encounter("cam-B", "10:28:05", "10:35:00", 280.0),
            ],
        ),
        ContactOut(
            contact_id="ct-a8e4d9",
            risk="low",
            exposure_s=40.0,
            min_distance_m=1.91,
            distance_approximate=False,
            patient_masked=True,
            contact_masked=False,
            encounters=[encounter("cam-A", "10:01:00", "10:01:40", 40.0)],
        ),
        ContactOut(
            contact_id="ct-03bd77",
            risk="medium",
            exposure_s=400.0,
            min_distance_m=1.12,
            distance_approximate=False,
            patient_masked=False,
            contact_masked=False,
            encounters=[
                encounter("cam-A", "10:02:00", "10:04:30", 150.0),
                encounter("cam-B", "10:10:00", "10:14:10", 250.0),
            ],
        ),
    ]
    return TraceOut(
        trace_id="run-4b9e2f10",
        case_id="case-2026-0412",
        policy="kdca-2022",
        elapsed_s=3.21,
        route=route,
        contacts=contacts,
        face_threshold=0.412,
        faces_searched=18_344,
    )


def write_thumb(path: Path, shade: int) -> Path:
    """A small stand-in for a redacted evidence frame (a gradient, no face)."""
    ramp = np.linspace(0, 255, 160, dtype=np.float32)
    image = np.zeros((90, 160, 3), np.uint8)
    image[..., 0] = ramp.astype(np.uint8)
    image[..., 1] = shade
    image[..., 2] = 255 - ramp.astype(np.uint8)
    ok, buf = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(buf.tobytes())
    return path


def report_case() -> ReportCase:
    return ReportCase(
        case_id="case-2026-0412",
        label="Station cluster, patient 3",
        window_from=datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        window_to=datetime(2026, 12, 7, 20, 0, tzinfo=UTC),
        site=SITE,
        camera_ids=("cam-A", "cam-B", "cam-C", "cam-D", "cam-E"),
        consent_given_by="the patient in person",
        consent_date=datetime(2026, 12, 7, 7, 41, 12, tzinfo=UTC),
        consent_sha256="3f2b8c1e" * 8,
        investigator="inv-kim",
    )


def make_report(folder: Path) -> ReportData:
    """The realistic report; its two evidence images are written into ``folder``."""
    return ReportData(
        report_id="rpt-7c1d0e55",
        generated_at=datetime(2026, 12, 8, 9, 15, 2, tzinfo=UTC),
        case=report_case(),
        trace_id="run-4b9e2f10",
        trace_sha256="a1b2c3d4" * 8,
        trace_at=datetime(2026, 12, 8, 9, 12, 40, tzinfo=UTC),
        trace=trace_out(),
        policy=get_policy("kdca-2022"),
        cameras=CAMERAS,
        evidence=(
            EvidenceThumb("stay 1, camera cam-A, 10:02:13", write_thumb(folder / "s1.jpg", 90)),
            EvidenceThumb("stay 3, camera cam-B, 10:12:40", write_thumb(folder / "s3.png", 160)),
        ),
        audit_seq=1289,
    )


@pytest.fixture(scope="session")
def report_data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    return make_report(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="session")
def empty_report(report_data: ReportData) -> ReportData:
    """Every optional field empty: no region, no route, no contact, no camera, no evidence,
    no audit entry, a policy without description or window."""
    policy = get_policy("who-2020").model_copy(update={"description": ""})
    return replace(
        report_data,
        case=replace(report_data.case, site=None, camera_ids=None, label=""),
        trace=report_data.trace.model_copy(
            update={
                "route": [],
                "contacts": [],
                "policy": policy.name,
                "face_threshold": float("nan"),
            }
        ),
        policy=policy,
        cameras=(),
        evidence=(),
        audit_seq=None,
    )


@pytest.fixture(scope="session")
def sparse_report(report_data: ReportData) -> ReportData:
    """A route and contacts whose optional values are all missing: stays without site or
    mask share, contacts with unknown masks, an unknown distance and no encounter, cameras
    without any position, a region of no camera."""
    route = [
        s.model_copy(update={"site": None, "masked_ratio": None, "evidence": "track"})
        for s in report_data.trace.route[:2]
    ]
    contacts = [
        report_data.trace.contacts[0].model_copy(
            update={
                "patient_masked": None,
                "contact_masked": None,
                "min_distance_m": float("nan"),
                "encounters": [],
            }
        )
    ]
    return replace(
        report_data,
        case=replace(report_data.case, site=" ", camera_ids=(), consent_given_by=""),
        trace=report_data.trace.model_copy(update={"route": route, "contacts": contacts}),
        cameras=tuple(CameraRecord(c.camera_id, c.name) for c in CAMERAS[:2]),
        evidence=(),
        audit_seq=None,
    )
