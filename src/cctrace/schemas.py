"""The JSON contracts of the CLI (and later the API): pydantic models at the edge.

Later tooling depends on these keys; add keys, never rename or remove them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaceOut(_Out):
    box_xyxy: list[float]
    score: float
    landmarks: list[list[float]]
    quality: float
    mask_probability: float


class ImageFacesOut(_Out):
    path: str
    width: int
    height: int
    faces: list[FaceOut]


class FacesAnalyzeOut(_Out):
    images: list[ImageFacesOut]


class FacesCompareOut(_Out):
    similarity: float
    same_person: bool
    threshold: float


class RankedImageOut(_Out):
    path: str
    similarity: float


class AppearanceQueryOut(_Out):
    path: str
    ranked: list[RankedImageOut]
    """The gallery's images, most similar first (at most ``--top``)."""


class AppearanceMatchOut(_Out):
    queries: list[AppearanceQueryOut]


class PersonOut(_Out):
    box_xyxy: list[float]
    score: float


class DetectImageOut(_Out):
    path: str
    frame: int | None
    t_s: float | None = None
    persons: list[PersonOut]
    faces: list[FaceOut]


class DetectOut(_Out):
    images: list[DetectImageOut]


class ModelOut(_Out):
    name: str
    file: str
    sha256: str
    source: str
    licence: str
    status: str
    """"ok", "missing" or "altered": the file in the models folder against its hash."""


class ModelsOut(_Out):
    models_dir: str
    person_runtime: str
    """Where person detection runs: "onnxruntime", "openvino-f32" or "openvino" (bf16
    where the CPU has it), from CCTRACE_RUNTIME or the default."""
    models: list[ModelOut]


class InitOut(_Out):
    home: str
    admin_token: str | None
    """Printed once, when the data folder is created; None on later runs."""
    created: bool


class CameraOut(_Out):
    id: str
    name: str
    site: str
    lat: float | None
    lon: float | None
    x_m: float | None
    y_m: float | None
    calibrated: bool
    reprojection_error_m: float | None
    floor_frame: str | None = None
    """The floor plan its calibration names: cameras naming one plan are compared for
    contacts across their views."""


class CamerasOut(_Out):
    cameras: list[CameraOut]


class SitePlanOut(_Out):
    """A site's plan image and its scale: the pixel (``origin_x_px``, ``origin_y_px``,
    from the top left) where the cameras' site-plan (0, 0) metres lie, and
    ``metres_per_px``; site-plan y points up the image."""

    site: str
    file_name: str
    media_type: str
    width_px: int
    height_px: int
    metres_per_px: float
    origin_x_px: float
    origin_y_px: float
    sha256: str
    uploaded_by: str
    uploaded_at: str


class SitePlansOut(_Out):
    site_plans: list[SitePlanOut]


class IngestVideoOut(_Out):
    path: str
    video_id: str
    camera_id: str
    outcome: str
    """"ingested", "resumed" or "already-ingested" (then nothing was added)."""
    start: str
    duration_s: float
    sightings_added: int
    sightings_total: int
    frames_decoded: int
    frames_sampled: int
    frames_analysed: int
    frames_skipped_motion: int
    elapsed_s: float
    realtime_factor: float
    """Seconds of video per second of processing (above 1: faster than real time)."""


class IngestOut(_Out):
    videos: list[IngestVideoOut]


class IndexStatsOut(_Out):
    cameras: int
    videos: int
    sightings: int
    faces: int
    first: str | None
    last: str | None


class MotExportOut(_Out):
    files: list[str]
    tracks: int
    lines: int


class UserOut(_Out):
    user: str
    role: str
    token: str
    expires: str | None = None  # ISO 8601 UTC; null: the token does not expire


class CaseOut(_Out):
    case_id: str


class StayOut(_Out):
    camera_id: str
    site: str | None
    start: str
    end: str
    confidence: float
    masked_ratio: float | None
    """Share of the patient's face views with a mask; None when no face was seen."""
    evidence: str


class EncounterOut(_Out):
    camera_id: str
    start: str
    end: str
    exposure_s: float


class ContactOut(_Out):
    contact_id: str
    risk: str
    exposure_s: float
    min_distance_m: float
    distance_approximate: bool
    patient_masked: bool | None
    contact_masked: bool | None
    encounters: list[EncounterOut]


class TraceOut(_Out):
    trace_id: str
    """The saved trace run this result is (`cctrace report`, `evidence --trace`)."""
    case_id: str
    policy: str
    elapsed_s: float
    route: list[StayOut]
    contacts: list[ContactOut]
    face_threshold: float
    """The face similarity the patient's sightings had to reach: the configured one,
    raised with the number of faces searched so chance matches stay rare."""
    faces_searched: int


class TraceBatchOut(_Out):
    cases: list[TraceOut]


class DemoOut(_Out):
    home: str
    report_html: str
    report_pdf: str
    route_recall: float
    route_precision: float
    cameras_true: list[str]
    cameras_found: list[str]
    contacts_true: int
    contacts_found: int
    timings_s: dict[str, float]


class AuditEntryOut(_Out):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    case_id: str | None
    target: str
    outcome: str
    prev_hash: str
    hash: str


class AuditLogOut(_Out):
    entries: list[AuditEntryOut]


class AuditVerifyOut(_Out):
    ok: bool
    entries: int
    first_bad: int | None


class EvidenceOut(_Out):
    """`cctrace evidence`: what was exported into ``out`` (see its manifest.json)."""

    case_id: str
    out: str
    frames: int
    clips: int
    blurred_faces: int
    """Faces pixelated, summed over every exported frame and clip frame."""
    unblurred_contact: str | None
    export_id: str
    trace_id: str
    """The saved trace run whose stays and contacts were exported."""
    """Random id of this export, also in its manifest.json: `cctrace case close` destroys
    the folder only while its manifest names this case and this id."""


class EvidenceFileOut(_Out):
    """One file of an evidence export, as its manifest describes it (no biometrics)."""

    file: str
    kind: str
    """"stay" or "encounter"."""
    index: int
    camera_id: str
    media: str
    """"frame" or "clip"."""
    t_start_utc: str
    t_end_utc: str
    contact_id: str | None
    blurred_faces: int
    whole_frame_blurred: bool


class EvidenceExportOut(_Out):
    export_id: str
    trace_id: str | None
    unblurred_contact: str | None
    created_at: str | None
    files: list[EvidenceFileOut]


class EvidenceExportsOut(_Out):
    """A case's evidence exports that are still there, oldest first."""

    exports: list[EvidenceExportOut]


class RetentionOut(_Out):
    retention_days: int
    default: bool
    """True while the period was never set (the default of 30 days applies)."""


class RetentionStatusOut(RetentionOut):
    """The retention period and when the last purge ran (None: never)."""

    last_purge_at: str | None


class PurgeOut(_Out):
    dry_run: bool
    cutoff: str
    """ISO 8601: sightings that started before it are purged (with everything: all)."""
    older_than_days: int
    everything: bool
    sightings: int
    days_dropped: list[str]
    days_rebuilt: list[str]
    bytes_freed: int
    trace_results_destroyed: int
    """Saved trace results older than the cutoff destroyed (their runs' counts stay)."""
    cases_closed: list[str] = []
    """Cases open longer than max_case_open_days, closed by this purge (a dry run: would
    be)."""


class LastTraceOut(_Out):
    """The case's latest trace run, read from the run itself (no biometrics)."""

    at: str
    trace_id: str | None = None
    """None only in summaries of cases closed before trace runs were saved."""
    policy: str | None = None
    stays: int | None = None
    contacts: int | None = None


class CaseSummaryOut(_Out):
    """What a closed case keeps: no biometrics, only dates, the consent hash and counts."""

    case_id: str
    label: str
    opened_at: str | None
    closed_at: str
    consent_date: str
    consent_sha256: str
    window_from: str
    window_to: str
    site: str | None
    cameras: int | None
    reference_faces: int
    traces: int
    last_trace: LastTraceOut | None
    export_files_destroyed: int
    exports_destroyed: int | None = None
    """Recorded evidence exports destroyed at closure (None: closed before exports were
    recorded)."""
    exports_already_gone: int | None = None
    """Recorded exports whose folder was gone at closure (moved off, out of reach)."""


class CaseCloseOut(_Out):
    case_id: str
    status: str
    already_closed: bool
    references_destroyed: int
    export_files_destroyed: int
    summary: CaseSummaryOut
    exports_destroyed: int
    """Recorded evidence exports destroyed by this run (wherever --out put them)."""
    exports_already_gone: int
    """Recorded exports whose folder no longer exists (moved off: out of cctrace's reach)."""
    exports_left_alone: list[str]
    """Folders of recorded exports left untouched: their manifest.json does not name this
    case and export (not provably cctrace's)."""
    closed_reason: str = "closed"
    """closed (by its owner), withdrawn (consent withdrawn) or expired (open too long)."""


class KeyRotateOut(_Out):
    new_key_id: str
    old_key_ids: list[str]
    resumed: bool
    sightings_reencrypted: int
    case_references_reencrypted: int
    index_days_reencrypted: int
    passes: int


class UserRevokedOut(_Out):
    user: str
    role: str
    revoked_at: str


class UserListedOut(_Out):
    """An account as an admin sees it (never its token)."""

    user: str
    role: str
    created: str
    expires: str | None
    revoked: str | None


class UsersOut(_Out):
    users: list[UserListedOut]


class MeOut(_Out):
    user: str
    role: str


class HealthOut(_Out):
    status: str
    version: str


class TraceRunOut(_Out):
    """One saved trace run of a case, without its result."""

    trace_id: str
    policy: str
    at: str
    stays: int
    contacts: int
    result_destroyed: bool


class TraceRunsOut(_Out):
    traces: list[TraceRunOut]


class CaseListItemOut(_Out):
    """A case's metadata: what a supervisor reviews (never a face, route or contact)."""

    case_id: str
    label: str
    status: str
    """pending, approved, rejected or closed."""
    opened_at: str | None
    window_from: str
    window_to: str
    owner: str
    """The investigator who opened it (user name)."""
    diagnosis_ref: str
    site: str | None
    cameras: list[str] | None
    consent_given_by: str
    consent_date: str
    consent_sha256: str
    decided_by: str | None
    """The supervisor who approved or rejected it (user name)."""
    decided_at: str | None
    decision_reason: str | None
    closed_at: str | None
    closed_reason: str | None
    """closed (by its owner), withdrawn (consent withdrawn) or expired (open too long)."""


class CasesOut(_Out):
    cases: list[CaseListItemOut]


class CaseOverviewOut(CaseListItemOut):
    """A case in the investigator's list, with its latest trace run."""

    last_trace: TraceRunOut | None


class CasesOverviewOut(_Out):
    cases: list[CaseOverviewOut]


class CaseDetailOut(CaseListItemOut):
    """One case: its metadata, its latest trace run and, once closed, its summary."""

    last_trace: TraceRunOut | None
    summary: CaseSummaryOut | None


class CaseDecisionOut(_Out):
    """A supervisor's decision on a pending case."""

    case_id: str
    status: str
    """approved or rejected."""


class LimitsOut(_Out):
    """The limits that bind a case to an infection (admin settings)."""

    max_case_window_days: int
    max_case_cameras: int
    max_case_open_days: int
    defaults: list[str]
    """The limits never set, whose default holds."""


class CaseActivityOut(_Out):
    """One case in the audit report: its window, region and how long each step took."""

    case_id: str
    status: str
    opened_at: str
    window_from: str
    window_to: str
    window_days: float
    region: str
    """"site NAME", "N cameras" or "every camera"."""
    hours_to_decision: float | None
    """From opening to the supervisor's approval or rejection (None: still pending)."""
    hours_to_closure: float | None
    """From opening to closure (None: not closed)."""
    closed_reason: str | None


class InvestigatorActivityOut(_Out):
    """What one investigator did in the report's period."""

    investigator: str
    opened: int
    approved: int
    rejected: int
    traced: int
    """Trace runs saved."""
    exported: int
    """Evidence exports and reports written."""
    unblurred: int
    closed: int
    """Cases closed for any reason (by the owner, withdrawn, expired)."""
    withdrawn: int
    cases: list[CaseActivityOut]


class AuditFlagOut(_Out):
    """Something an auditor should look at."""

    kind: str
    """many_cases_in_a_day, open_past_limit or unblur_without_export."""
    investigator: str
    case_id: str | None
    detail: str


class AuditReportOut(_Out):
    """Per investigator, the cases of a period and what was done with them, with flags."""

    period_from: str | None
    period_to: str | None
    investigators: list[InvestigatorActivityOut]
    flags: list[AuditFlagOut]


class JobOut(_Out):
    job_id: str
    kind: str
    state: str
    """queued, running, done or failed."""
    progress: float
    result: dict[str, object] | None
    error: str | None
    stage: str | None = None
    """What a running job is doing, in words (a trace: searching faces, contacts...)."""


class JobStartedOut(_Out):
    job_id: str


class ReportOut(_Out):
    """`cctrace report`: where the report was written and what it records."""

    case_id: str
    trace_id: str
    report_id: str
    format: str
    out: str
    bytes: int
    audit_seq: int


class ErrorBody(_Out):
    code: str
    message: str
    field: str | None


class ErrorOut(_Out):
    """Every API error: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorBody
