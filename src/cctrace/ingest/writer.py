"""The one writer: opens what workers sealed, joins segments, commits to the store.

Workers only compute; this is the only code of a batch that writes. A video is committed
once all its segments are back (a track may cross every cut), segment by segment in
order, each in one transaction (`Store.commit_checkpoint`) that skips sighting ids already
stored: a segment committed twice (a retried worker, a rerun after a crash) stores its
sightings once. A video whose work failed is never begun, so nothing of it is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cctrace.core.types import Sighting
from cctrace.ingest.frame_loop import Checkpoint
from cctrace.ingest.inputs import IngestOptions, PreparedVideo
from cctrace.ingest.payload import open_sightings, seal_context
from cctrace.ingest.pipeline import StoreSink
from cctrace.ingest.segments import TRACK_ID_STRIDE, SegmentSightings, join_segments
from cctrace.ingest.worker import SegmentJob, SegmentOutcome
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store
from cctrace.store.vector_index import VectorIndex
from cctrace.video.spans import FrameSpan


@dataclass
class VideoCounters:
    decoded: int = 0
    sampled: int = 0
    analysed: int = 0
    skipped: int = 0
    added: int = 0


@dataclass
class VideoPlan:
    """One video of a batch: its jobs, and the outcomes back so far."""

    video: PreparedVideo
    jobs: list[SegmentJob]
    outcome: str
    """'ingested' or 'resumed' (an earlier run left a checkpoint)."""
    received: dict[int, SegmentOutcome] = field(default_factory=dict)
    counters: VideoCounters = field(default_factory=VideoCounters)

    @property
    def complete(self) -> bool:
        return len(self.received) == len(self.jobs)


def plan_video(
    video: PreparedVideo,
    spans: list[FrameSpan],
    options: IngestOptions,
    public_key: bytes,
) -> VideoPlan:
    """The jobs of one video. One span: the whole video as `pipeline.ingest` runs it, from
    its stored checkpoint if an earlier run left one (so the result is the single-file
    result); several: every segment (a rerun recomputes them all and stores nothing twice).

    A batch interrupted in the middle of a segmented video is finished by running the
    manifest again, not by `cctrace ingest FILE` (which would resume at the last cut
    without the join)."""
    existing = video.existing
    # A video an earlier single-file run left part-done goes on as that run would have
    # (its stored track ids follow one tracker); only fresh videos are cut.
    resumes_whole = existing is not None and existing.next_track_id < TRACK_ID_STRIDE
    if len(spans) == 1 or resumes_whole:
        job = SegmentJob(
            video=video,
            span=None,
            options=options,
            start_utc=existing.start_utc if existing is not None else video.start_utc,
            public_key=public_key,
            resume_t_s=existing.checkpoint_t_s if existing is not None else None,
            first_track_id=max(existing.next_track_id, 1) if existing is not None else 1,
            frames_analysed=existing.frames_analysed if existing is not None else 0,
        )
        jobs = [job]
    else:
        start = existing.start_utc if existing is not None else video.start_utc
        jobs = [SegmentJob(video, span, options, start, public_key) for span in spans]
    return VideoPlan(video, jobs, "resumed" if existing is not None else "ingested")


class Writer:
    """Commits the videos of a batch as their segments come back."""

    def __init__(self, store: Store, index: VectorIndex, private_key: X25519PrivateKey) -> None:
        self.store = store
        self.index = index
        self._private = private_key

    def commit(self, plan: VideoPlan) -> None:
        """Store every segment of a complete plan, then mark the video done."""
        video = plan.video
        info = video.info
        record = self.store.begin_video(
            VideoRecord(
                video_id=video.video_id,
                camera_id=video.camera_id,
                path=str(video.path),
                start_utc=video.start_utc,
                duration_s=info.duration_s or 0.0,
                fps=info.fps,
                width=info.width,
                height=info.height,
                next_track_id=1,
            )
        )
        sink = StoreSink(self.store, self.index, video.video_id)
        outcomes = [plan.received[job.segment] for job in plan.jobs]
        c = plan.counters
        for o in outcomes:
            c.decoded += o.decoded
            c.sampled += o.sampled
            c.analysed += o.analysed
            c.skipped += o.skipped
        if plan.jobs[0].span is None:
            # the whole video in one job: its checkpoints replayed, one transaction each,
            # exactly as `pipeline.ingest` commits them
            for cp in outcomes[0].checkpoints:
                sink(
                    Checkpoint(
                        cp.t_s,
                        cp.next_track_id,
                        cp.frames_analysed,
                        self._open(video.video_id, 0, cp.sealed),
                    )
                )
        else:
            start_epoch_s = record.start_utc.timestamp()
            pieces = [
                SegmentSightings(
                    job.span,
                    start_epoch_s,
                    [
                        s
                        for cp in o.checkpoints
                        for s in self._open(video.video_id, o.segment, cp.sealed)
                    ],
                )
                for job, o in zip(plan.jobs, outcomes, strict=True)
                if job.span is not None
            ]
            analysed = record.frames_analysed
            for job, o, sightings in zip(plan.jobs, outcomes, join_segments(pieces), strict=True):
                assert job.span is not None
                analysed += o.analysed
                end = job.span.t_end_s
                last = o.checkpoints[-1].t_s if o.checkpoints else job.span.t_begin_s
                sink(
                    Checkpoint(
                        last if math.isinf(end) else end,
                        # past every id of this segment: marks the video as segmented
                        (job.span.index + 1) * TRACK_ID_STRIDE + 1,
                        analysed,
                        sorted(sightings, key=lambda s: s.track_id),
                    )
                )
        self.store.finish_video(video.video_id)
        c.added = sink.added

    def _open(self, video_id: str, segment: int, sealed: list[bytes]) -> list[Sighting]:
        return open_sightings(self._private, sealed, seal_context(video_id, segment))
