"""Ingest one video in this process: check it before anything is written, run the
frame loop (`cctrace.ingest.frame_loop`) and commit each checkpoint's sightings.

Crash safety works by *segments*: sightings are committed together with their
checkpoint (video time, next track id) in one database transaction (`StoreSink`), and
the frame loop places checkpoints where a resumed run can start exactly as the
interrupted one would have gone on, so a run killed at any moment and started again
produces exactly the sightings of an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.geometry.calibration import calibration_from_json, rescale_calibration
from cctrace.ingest.frame_loop import Checkpoint, analyse_video
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, ProgressFn, VisionModels
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import VectorIndex
from cctrace.video.frames import VideoInfo, probe

Outcome = Literal["ingested", "resumed", "already-ingested"]
FUTURE_TOLERANCE_S = 300.0
"""Clocks of recorders drift; a start up to 5 minutes ahead of ours is accepted."""


@dataclass(frozen=True)
class IngestResult:
    path: str
    video_id: str
    camera_id: str
    outcome: Outcome
    start_utc: datetime
    duration_s: float
    sightings_added: int
    sightings_total: int
    frames_decoded: int
    frames_sampled: int
    frames_analysed: int
    frames_skipped_motion: int
    elapsed_s: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_start(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is taken as UTC. InputError if unreadable."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"start time {text!r} is not ISO 8601; write it like 2026-03-01T08:30:00+01:00"
        ) from None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


@dataclass(frozen=True)
class CheckedFootage:
    """A video that passed the checks of `check_footage`."""

    camera: CameraRecord
    info: VideoInfo
    start_utc: datetime


def check_footage(
    store: Store,
    path: Path,
    camera_id: str,
    start_utc: datetime | None,
    now: datetime,
    start_option: str = "--start",
) -> CheckedFootage:
    """What every front door checks of a video before anything is written or queued: a
    known camera, a video stream with a frame size, a recording time not in the future.

    ``start_option``: how the messages name the start-time input (``--start`` on the
    command line, the ``start`` field of an upload). Raises InputError."""
    camera = store.get_camera(camera_id)
    if camera is None:
        raise InputError(
            f"unknown camera {camera_id!r}: add it first with `cctrace cameras add {camera_id} "
            "--name ...` or POST /api/v1/cameras (see `cctrace cameras list`)",
            "camera_id",
        )
    info = probe(path)
    if info.width <= 0 or info.height <= 0:
        raise InputError(f"{path}: the video stream has no frame size; is the file complete?")
    start = start_utc or info.creation_time
    if start is None:
        raise InputError(
            f"{path}: the file carries no recording time; give one with {start_option} "
            "(ISO 8601, e.g. 2026-03-01T08:30:00+01:00)",
            "start",
        )
    if start > now + timedelta(seconds=FUTURE_TOLERANCE_S):
        raise InputError(
            f"{path}: start time {start.isoformat()} lies in the future; check "
            f"{start_option} or the recorder's clock",
            "start",
        )
    return CheckedFootage(camera, info, start)


def prepare(
    store: Store, path: Path, camera_id: str, start_utc: datetime | None, now: datetime
) -> PreparedVideo:
    """Check everything about one video before anything is written. Raises InputError."""
    checked = check_footage(store, path, camera_id, start_utc, now)
    camera, info, start = checked.camera, checked.info, checked.start_utc
    calibration = None
    if camera.calibration_json:
        calibration = calibration_from_json(
            json.loads(camera.calibration_json), f"camera {camera_id}"
        )
        if calibration.image_size_px and calibration.image_size_px != (info.width, info.height):
            calibration = rescale_calibration(calibration, (info.width, info.height))
    video_id = file_sha256(path)
    existing = store.video_by_id(video_id)
    if existing is not None and existing.camera_id != camera_id:
        raise InputError(
            f"{path} was already ingested for camera {existing.camera_id!r}, not {camera_id!r}"
        )
    return PreparedVideo(path, info, video_id, camera_id, start, calibration, existing)


def ingest(
    store: Store,
    index: VectorIndex,
    models: VisionModels,
    video: PreparedVideo,
    options: IngestOptions | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Ingest (or resume, or recognise as done) one prepared video."""
    opts = options or IngestOptions()
    t0 = time.perf_counter()
    info = video.info
    duration_s = info.duration_s or 0.0
    if video.existing is not None and video.existing.status == "done":
        return IngestResult(
            str(video.path),
            video.video_id,
            video.camera_id,
            "already-ingested",
            video.existing.start_utc,
            duration_s,
            0,
            store.count_sightings(video.video_id),
            0,
            0,
            0,
            0,
            time.perf_counter() - t0,
        )
    if video.existing is None:
        record = store.begin_video(
            VideoRecord(
                video_id=video.video_id,
                camera_id=video.camera_id,
                path=str(video.path),
                start_utc=video.start_utc,
                duration_s=duration_s,
                fps=info.fps,
                width=info.width,
                height=info.height,
                next_track_id=1,
            )
        )
        outcome: Outcome = "ingested"
    else:
        record = video.existing
        outcome = "resumed"
    sink = StoreSink(store, index, video.video_id)
    try:
        done = analyse_video(
            models,
            video,
            opts,
            sink,
            start_utc=record.start_utc,
            resume_t_s=record.checkpoint_t_s,
            first_track_id=max(record.next_track_id, 1),
            frames_analysed=record.frames_analysed,
            progress=progress,
        )
    except InputError:
        # Bad input leaves the database as it was before this video.
        if video.existing is None:
            store.delete_unfinished_video(video.video_id)
            index.reconcile(store)
        raise
    start_utc = record.start_utc
    store.finish_video(video.video_id)
    if progress is not None:
        progress(duration_s, duration_s)
    return IngestResult(
        str(video.path),
        video.video_id,
        video.camera_id,
        outcome,
        start_utc,
        duration_s,
        sink.added,
        store.count_sightings(video.video_id),
        done.decoded,
        done.sampled,
        done.analysed - record.frames_analysed,
        done.skipped,
        time.perf_counter() - t0,
    )


class StoreSink:
    """Commits each checkpoint in one transaction and adds the new faces to the index."""

    def __init__(self, store: Store, index: VectorIndex, video_id: str) -> None:
        self.store = store
        self.index = index
        self.video_id = video_id
        self.added = 0

    def __call__(self, checkpoint: Checkpoint) -> None:
        inserted = self.store.commit_checkpoint(
            self.video_id,
            checkpoint.sightings,
            checkpoint_t_s=checkpoint.t_s,
            next_track_id=checkpoint.next_track_id,
            frames_analysed=checkpoint.frames_analysed,
        )
        _add_to_index(self.index, checkpoint.sightings, set(inserted))
        self.added += len(inserted)


def _add_to_index(index: VectorIndex, sightings: list[Sighting], inserted: set[str]) -> None:
    by_day: dict[str, list[Sighting]] = {}
    for s in sightings:
        if s.sighting_id in inserted and s.face_embedding is not None:
            by_day.setdefault(utc_day(s.t_start_s), []).append(s)
    for day, group in sorted(by_day.items()):
        embeddings = np.stack([s.face_embedding for s in group if s.face_embedding is not None])
        index.add(day, [s.sighting_id for s in group], embeddings)
