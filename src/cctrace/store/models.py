"""Database tables (SQLAlchemy 2 typed declarative). Portable SQL only: SQLite and PostgreSQL.

Rows never leave `cctrace.store`: the repository turns them into the dataclasses of
`records.py` and `core.types`. Columns ending in ``_enc`` hold AES-GCM blobs
(`crypto.Cipher`), never clear biometric data. A change here needs a new Alembic revision
in ``migrations/versions`` (the test suite compares both).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: SQLite drops the zone, PostgreSQL keeps it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} given to the store: pass an aware UTC one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CameraRow(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Double(), nullable=True)
    lon: Mapped[float | None] = mapped_column(Double(), nullable=True)
    x_m: Mapped[float | None] = mapped_column(Double(), nullable=True)
    y_m: Mapped[float | None] = mapped_column(Double(), nullable=True)
    calibration_json: Mapped[str | None] = mapped_column(Text(), nullable=True)
    reprojection_error_m: Mapped[float | None] = mapped_column(Double(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class VideoRow(Base):
    __tablename__ = "videos"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # content SHA-256, hex
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"), index=True)
    path: Mapped[str] = mapped_column(Text())
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_s: Mapped[float] = mapped_column(Double())
    fps: Mapped[float] = mapped_column(Double())
    width: Mapped[int] = mapped_column(Integer())
    height: Mapped[int] = mapped_column(Integer())
    status: Mapped[str] = mapped_column(String(20), default="ingesting")
    checkpoint_t_s: Mapped[float | None] = mapped_column(Double(), nullable=True)
    next_track_id: Mapped[int] = mapped_column(Integer(), default=0)
    frames_analysed: Mapped[int] = mapped_column(Integer(), default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SightingRow(Base):
    __tablename__ = "sightings"
    # Route, contact and appearance reads ask for a few cameras over a time span: one
    # range scan per camera (the single-column indexes scan every camera's rows, or the
    # camera's whole history). The index also holds the id and the encrypted colour
    # sketch, so that appearance screening reads the index alone for the many rows whose
    # colour rules them out (`Store.appearance_rows`; schema 0008).
    __table_args__ = (
        Index(
            "ix_sightings_screen",
            "camera_id",
            "t_start_s",
            "t_end_s",
            "id",
            "appearance_colour_enc",
        ),
    )

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id"), index=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"), index=True)
    track_id: Mapped[int] = mapped_column(Integer())
    t_start_s: Mapped[float] = mapped_column(Double(), index=True)
    t_end_s: Mapped[float] = mapped_column(Double())
    day: Mapped[str] = mapped_column(String(10), index=True)  # UTC day of t_start_s
    # Movement, not biometrics: kept in clear so that route and contact queries can use it.
    # ``path_bin`` (see codecs.encode_path) since schema 0005; rows written before keep
    # their ``path_json``. Exactly one of the two is set.
    path_json: Mapped[str | None] = mapped_column(Text(), nullable=True)
    path_bin: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    path_approximate: Mapped[bool] = mapped_column(Boolean())
    face_count: Mapped[int] = mapped_column(Integer())
    face_quality: Mapped[float] = mapped_column(Double())
    mask_ratio: Mapped[float | None] = mapped_column(Double(), nullable=True)
    face_embedding_enc: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    appearance_enc: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    # The colour part of ``appearance_enc`` (the last 40 numbers, float16), encrypted on
    # its own: the screening sketch. NULL where there is no appearance, where it has
    # another layout, or on rows written before schema 0008 that `cctrace init` has not
    # filled in yet (screening then reads the whole vector).
    appearance_colour_enc: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    thumbnail_enc: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class CaseRow(Base):
    """A patient's case. The consent form itself is never stored: only its SHA-256."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    consent_given_by: Mapped[str] = mapped_column(String(200))
    consent_date: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_sha256: Mapped[str] = mapped_column(String(64))
    t_from_s: Mapped[float] = mapped_column(Double())
    t_to_s: Mapped[float] = mapped_column(Double())
    site: Mapped[str | None] = mapped_column(String(200), nullable=True)
    camera_ids_json: Mapped[str | None] = mapped_column(Text(), nullable=True)
    # pending (waits for a supervisor), approved (may be traced), rejected, closed.
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the case is closed: what it was, without biometrics (counts, dates).
    summary_json: Mapped[str | None] = mapped_column(Text(), nullable=True)
    # The health authority's case or lab report number: part of the consent record.
    diagnosis_ref: Mapped[str] = mapped_column(String(200), default="")
    # The supervisor's decision (approved or rejected): who (user id), when, why.
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text(), nullable=True)
    # Why a closed case closed: closed (by its owner), withdrawn (consent), expired (purge).
    closed_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text(), nullable=True)


class CaseReferenceRow(Base):
    """One reference photo's face embedding for a case (encrypted; the photo is not kept)."""

    __tablename__ = "case_references"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    photo_sha256: Mapped[str] = mapped_column(String(64))
    quality: Mapped[float] = mapped_column(Double())
    embedding_enc: Mapped[bytes] = mapped_column(LargeBinary())


class CaseExportRow(Base):
    """Where one evidence export of a case was written, so closing the case can destroy it.

    No personal data: a random export id, the case, the folder and when. ``outcome`` is
    set when `cctrace case close` settled it: ``destroyed`` or ``gone`` (moved off)."""

    __tablename__ = "case_exports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    path: Mapped[str] = mapped_column(Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SettingRow(Base):
    """One installation setting (e.g. ``retention_days``), as text; see store/settings.py."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class AuditRow(Base):
    """One audit entry; ``hash`` chains it to the entry before (see store/audit_log.py)."""

    __tablename__ = "audit"

    seq: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    target: Mapped[str] = mapped_column(Text())
    outcome: Mapped[str] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchorRow(Base):
    """The audit chain's head (one row, ``id`` 1) where every host sees it: used on
    PostgreSQL; SQLite keeps the ``audit.anchor`` file instead (schema 0012)."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer())
    hash: Mapped[str] = mapped_column(String(64))


class TraceRunRow(Base):
    """One saved trace of a case (schema 0009).

    The counts and settings stay in clear for the case's summary and the audit trail; the
    result itself (route and contacts, with the sighting ids behind them) is derived from
    biometrics and sealed in ``result_enc``. Closing the case, or the retention purge,
    empties ``result_enc`` and sets ``destroyed_at``: the counts remain.
    """

    __tablename__ = "trace_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    policy: Mapped[str] = mapped_column(String(40))
    settings_json: Mapped[str] = mapped_column(Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    created_by: Mapped[str] = mapped_column(String(200))
    stays: Mapped[int] = mapped_column(Integer())
    contacts: Mapped[int] = mapped_column(Integer())
    high_risk_contacts: Mapped[int] = mapped_column(Integer())
    face_threshold: Mapped[float | None] = mapped_column(Double(), nullable=True)
    faces_searched: Mapped[int] = mapped_column(Integer())
    elapsed_s: Mapped[float] = mapped_column(Double())
    result_sha256: Mapped[str] = mapped_column(String(64))
    result_enc: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class JobRow(Base):
    """Long work started through the API (ingest, evidence), run by a worker process.

    Recorded before it starts so that a restart of the server finds it: a job left
    ``queued`` or ``running`` by a stopped server is run again (ingest and evidence are
    both safe to repeat) or marked failed with the reason. ``params_json`` and
    ``result_json`` hold file names, ids and counts, never biometrics.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Double(), default=0.0)
    params_json: Mapped[str] = mapped_column(Text())
    result_json: Mapped[str | None] = mapped_column(Text(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    stage: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """What a running job is doing, in words (schema 0010; shown beside its progress)."""


class SitePlanRow(Base):
    """A site's plan image and its scale (schema 0010): not biometric, kept in clear.

    The image lives in the database rather than under the data folder so that an upload is
    one transaction (nothing half-written) and a PostgreSQL deployment serves it from any
    machine. ``origin_*_px`` is the pixel where the site plan's (0, 0) metres lie; the
    plan's y axis points up, the image's down.
    """

    __tablename__ = "site_plans"

    site: Mapped[str] = mapped_column(String(200), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    width_px: Mapped[int] = mapped_column(Integer())
    height_px: Mapped[int] = mapped_column(Integer())
    metres_per_px: Mapped[float] = mapped_column(Double())
    origin_x_px: Mapped[float] = mapped_column(Double())
    origin_y_px: Mapped[float] = mapped_column(Double())
    sha256: Mapped[str] = mapped_column(String(64))
    image: Mapped[bytes] = mapped_column(LargeBinary())
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
