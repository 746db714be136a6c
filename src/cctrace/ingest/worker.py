"""What an ingestion worker runs: one segment of one video, sealed for the service.

A worker gets a `SegmentJob` (the video's path and checked facts, a span, the options and
the service's *public* sealing key) and returns a `SegmentOutcome` whose sightings are
sealed. It opens no database and reads no key file; nothing it holds decrypts anything.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from datetime import datetime

from cctrace.core.types import Sighting
from cctrace.ingest.frame_loop import Checkpoint, analyse_video
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.payload import SealedCheckpoint, seal_context, seal_sightings
from cctrace.ingest.segments import TRACK_ID_STRIDE
from cctrace.video.spans import FrameSpan


@dataclass(frozen=True)
class SegmentJob:
    """One unit of work. ``span`` None: the whole video, as `pipeline.ingest` runs it
    (then ``resume_t_s``, ``first_track_id`` and ``frames_analysed`` continue a stored
    checkpoint); ``public_key``: the service's X25519 sealing key, 32 bytes."""

    video: PreparedVideo
    span: FrameSpan | None
    options: IngestOptions
    start_utc: datetime
    public_key: bytes
    resume_t_s: float | None = None
    first_track_id: int = 1
    frames_analysed: int = 0

    @property
    def segment(self) -> int:
        return 0 if self.span is None else self.span.index

    @property
    def label(self) -> str:
        return f"{self.video.path.name} segment {self.segment}"

    @property
    def duration_s(self) -> float:
        """Video seconds this job covers (for progress)."""
        total = self.video.info.duration_s or 0.0
        if self.span is None:
            return max(total - (self.resume_t_s or 0.0), 0.0)
        end = total if math.isinf(self.span.t_end_s) else self.span.t_end_s
        return max(end - self.span.t_begin_s, 0.0)


@dataclass(frozen=True)
class SegmentOutcome:
    video_id: str
    segment: int
    checkpoints: list[SealedCheckpoint]
    decoded: int
    sampled: int
    analysed: int
    skipped: int
    worker_pid: int


@functools.cache
def _models(person_detector: str | None) -> VisionModels:
    # Loaded once per worker process: a worker runs many segments, and loading (with the
    # SHA-256 checks) takes seconds.
    return VisionModels.load(person_detector)


def span_first_track_id(span: FrameSpan) -> int:
    """Segment k numbers its tracks from k * TRACK_ID_STRIDE + 1, so that sighting ids of
    different segments never collide."""
    return span.index * TRACK_ID_STRIDE + 1


def span_sightings(
    models: VisionModels,
    video: PreparedVideo,
    options: IngestOptions,
    start_utc: datetime,
    span: FrameSpan | None,
) -> list[Sighting]:
    """What one segment finds (``span`` None: the whole video from its start), in the
    clear and in memory: for comparing a cut video with the whole run. Workers seal
    instead (`run_segment`)."""
    found: list[Sighting] = []
    analyse_video(
        models,
        video,
        options,
        lambda cp: found.extend(cp.sightings),
        start_utc=start_utc,
        resume_t_s=None,
        first_track_id=1 if span is None else span_first_track_id(span),
        frames_analysed=0,
        span=span,
    )
    return found


def run_segment(job: SegmentJob) -> SegmentOutcome:
    """Analyse one segment and seal what it found. Raises InputError on undecodable input."""
    context = seal_context(job.video.video_id, job.segment)
    sealed: list[SealedCheckpoint] = []

    def sink(cp: Checkpoint) -> None:
        sealed.append(
            SealedCheckpoint(
                t_s=cp.t_s,
                next_track_id=cp.next_track_id,
                frames_analysed=cp.frames_analysed,
                sighting_ids=[s.sighting_id for s in cp.sightings],
                sealed=seal_sightings(job.public_key, cp.sightings, context),
            )
        )

    first_id = job.first_track_id if job.span is None else span_first_track_id(job.span)
    counters = analyse_video(
        _models(job.options.person_detector),
        job.video,
        job.options,
        sink,
        start_utc=job.start_utc,
        resume_t_s=job.resume_t_s,
        first_track_id=first_id,
        frames_analysed=job.frames_analysed if job.span is None else 0,
        span=job.span,
    )
    return SegmentOutcome(
        video_id=job.video.video_id,
        segment=job.segment,
        checkpoints=sealed,
        decoded=counters.decoded,
        sampled=counters.sampled,
        analysed=counters.analysed - (job.frames_analysed if job.span is None else 0),
        skipped=counters.skipped,
        worker_pid=os.getpid(),
    )
