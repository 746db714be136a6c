"""The typed records the store hands out and takes in (dataclasses; rows stay inside)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Role = Literal["admin", "investigator", "supervisor", "auditor", "ingest"]
CaseStatus = Literal["pending", "approved", "rejected", "closed"]
"""A case waits for a supervisor (pending), may be traced (approved), was refused by one
(rejected, its reference faces destroyed), or is closed (by its owner, a withdrawal of
consent or the purge of cases open too long)."""
VideoStatus = Literal["ingesting", "done"]


@dataclass(frozen=True)
class CameraRecord:
    """A camera: position either geographic (``lat``/``lon``, degrees) or site metres.

    ``calibration_json`` is the ground-plane calibration as the geometry package writes it
    (opaque here); ``reprojection_error_m`` its mean reprojection error on the floor.
    """

    camera_id: str
    name: str
    site: str = ""
    lat: float | None = None
    lon: float | None = None
    x_m: float | None = None
    y_m: float | None = None
    calibration_json: str | None = None
    reprojection_error_m: float | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class VideoRecord:
    """One footage file, identified by the SHA-256 of its content (hex).

    ``checkpoint_t_s`` is the video-relative time (seconds from ``start_utc``) up to which
    every sighting is committed; ``None`` before the first checkpoint. Ingestion resumes
    from it with ``next_track_id`` so track ids stay unique within the video.
    """

    video_id: str
    camera_id: str
    path: str
    start_utc: datetime
    duration_s: float
    fps: float
    width: int
    height: int
    status: VideoStatus = "ingesting"
    checkpoint_t_s: float | None = None
    next_track_id: int = 0
    frames_analysed: int = 0
    created_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class User:
    """An account; its token is stored only as an argon2 hash, never here."""

    user_id: str
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A user with the token just made for them: shown once, then only its hash remains."""

    user: User
    token: str


@dataclass(frozen=True)
class IndexStats:
    """Counts over the index; ``first``/``last`` are the earliest start and latest end (UTC)."""

    cameras: int
    videos: int
    sightings: int
    faces: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class DayFaces:
    """Every face embedding of one UTC day: ``sighting_ids`` (N,), ``embeddings`` (N, D) float32."""

    day: str
    sighting_ids: list[str]
    embeddings: NDArray[np.float32] = field(repr=False)


@dataclass(frozen=True)
class AppearanceRows:
    """Sightings as columns, for screening by appearance before reading them whole.

    ``camera_ids`` and ``sighting_ids`` (N,), ``t_start_s``/``t_end_s`` (N,) float64,
    ``appearance`` (N, D) float16 (as stored; half the memory of float32 for the tens of
    thousands of rows a city-scale trace screens) with NaN rows where a sighting has no
    appearance vector (or one of another length than the first).
    """

    sighting_ids: list[str]
    camera_ids: list[str]
    t_start_s: NDArray[np.float64] = field(repr=False)
    t_end_s: NDArray[np.float64] = field(repr=False)
    appearance: NDArray[np.float16] = field(repr=False)

    def __len__(self) -> int:
        return len(self.sighting_ids)


@dataclass(frozen=True)
class SketchRows:
    """What appearance screening reads from the window index alone: ``sighting_ids``,
    ``camera_ids`` (N,), ``t_start_s``/``t_end_s`` (N,) float64 and ``colour`` (N, 40)
    float16, each row the sighting's colour sketch (the colour part of its appearance
    vector) or NaN where none is stored (no appearance, another layout, or a row of an
    older schema not yet filled in: such a row must be read whole to be judged)."""

    sighting_ids: list[str]
    camera_ids: list[str]
    t_start_s: NDArray[np.float64] = field(repr=False)
    t_end_s: NDArray[np.float64] = field(repr=False)
    colour: NDArray[np.float16] = field(repr=False)

    def __len__(self) -> int:
        return len(self.sighting_ids)


SketchScreen = Callable[[SketchRows], NDArray[np.bool_]]
"""Which `SketchRows` to read whole (see `Store.appearance_rows`)."""


@dataclass(frozen=True)
class CaseRecord:
    """A consented case: who consented and when, the form's SHA-256, the window, region."""

    case_id: str
    owner_id: str
    label: str
    consent_given_by: str
    consent_date: datetime
    consent_sha256: str
    t_from_s: float
    t_to_s: float
    site: str | None
    camera_ids: tuple[str, ...] | None
    status: CaseStatus = "pending"
    created_at: datetime | None = None
    diagnosis_ref: str = ""
    decided_by: str | None = None
    """The user id of the supervisor who approved or rejected the case."""
    decided_at: datetime | None = None
    decision_reason: str | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = None
    """closed (by its owner), withdrawn (consent withdrawn) or expired (open too long)."""
    withdrawal_reason: str | None = None


@dataclass(frozen=True)
class CaseExport:
    """An evidence export of a case: its random id and the folder it was written to.

    ``outcome`` is None until `cctrace case close` settles it (``destroyed`` or ``gone``)."""

    export_id: str
    case_id: str
    path: str
    created_at: datetime | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class CaseReference:
    """A reference photo's face: its file SHA-256, quality and (N=1) embedding (128,)."""

    photo_sha256: str
    quality: float
    embedding: NDArray[np.float32] = field(repr=False)


@dataclass(frozen=True)
class PurgeCounts:
    """What a purge removed (or would remove) from the database.

    ``faces_by_day``: for every UTC day with a sighting purged, how many of them carried a
    face embedding (what the face index holds for them).
    """

    sightings: int
    blob_bytes: int
    faces_by_day: dict[str, int]


@dataclass(frozen=True)
class ResealCounts:
    """Progress of a re-encryption: rows looked at, rows re-encrypted (both running totals)."""

    scanned: int
    resealed: int


@dataclass(frozen=True)
class TraceRunRecord:
    """A saved trace of a case: what was asked (policy, settings), when, by whom, the
    counts, and the SHA-256 of the result. ``result_json`` is the sealed result opened
    (None when listing runs, or once the case was closed and the result destroyed)."""

    trace_id: str
    case_id: str
    policy: str
    settings_json: str
    created_at: datetime
    created_by: str
    stays: int
    contacts: int
    high_risk_contacts: int
    face_threshold: float | None
    faces_searched: int
    elapsed_s: float
    result_sha256: str
    destroyed_at: datetime | None = None
    result_json: str | None = field(default=None, repr=False)


JobState = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class JobRecord:
    """Long work started through the API; ``params_json``/``result_json`` hold no biometrics."""

    job_id: str
    kind: str
    owner_id: str
    case_id: str | None
    state: JobState
    progress: float
    params_json: str
    result_json: str | None
    error: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    stage: str | None = None
    """What a running job is doing, in words."""


@dataclass(frozen=True)
class SitePlanRecord:
    """A site's plan image and its scale: ``metres_per_px``, and the pixel
    (``origin_x_px``, ``origin_y_px``, from the image's top left) where the site plan's
    (0, 0) metres lie. Site-plan y points up, image rows down."""

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
    uploaded_at: datetime
