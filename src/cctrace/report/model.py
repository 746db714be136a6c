"""What a printable case report is made of: one saved trace run and its case, typed.

`services/reports.py` builds a `ReportData` from the database; `cctrace.report.render`
turns it into HTML, PDF and CSV. Everything here is already decided (no database, no
footage): the renderers only format it. Datetimes are UTC (naive ones are read as UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cctrace.config import Policy
from cctrace.schemas import TraceOut
from cctrace.store.records import CameraRecord


@dataclass(frozen=True)
class ReportCase:
    """The case as the report prints it: window, region, consent record and investigator.

    ``site`` and ``camera_ids`` are the case's region (None: every site / every camera);
    ``consent_sha256`` is the hex SHA-256 of the scanned consent form.
    """

    case_id: str
    label: str
    window_from: datetime
    window_to: datetime
    site: str | None
    camera_ids: tuple[str, ...] | None
    consent_given_by: str
    consent_date: datetime
    consent_sha256: str
    investigator: str
    diagnosis_ref: str = ""
    """The health authority's case or lab report number the consent record carries."""


@dataclass(frozen=True)
class EvidenceThumb:
    """One redacted evidence image (JPEG or PNG) from an evidence export.

    ``caption`` says what it shows without personal data, e.g. "stay 2, camera B,
    10:02:13"; the report embeds the file as it is (it must already be redacted).
    """

    caption: str
    image_path: Path


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows.

    ``trace_sha256`` is the hex SHA-256 of the saved run's result, ``trace_at`` when it
    ran; ``cameras`` are the cameras to draw on the site map (those of the region, or
    those the route visited); ``audit_seq`` is the id of the audit entry recording this
    report's creation (None when none was recorded).
    """

    report_id: str
    generated_at: datetime
    case: ReportCase
    trace_id: str
    trace_sha256: str
    trace_at: datetime
    trace: TraceOut
    policy: Policy
    cameras: tuple[CameraRecord, ...]
    evidence: tuple[EvidenceThumb, ...]
    audit_seq: int | None
