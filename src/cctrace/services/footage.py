"""Footage: index video files into encrypted sightings; index statistics and track export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.ingest.mot_export import export_mot
from cctrace.ingest.pipeline import IngestOptions, VisionModels, parse_start, prepare
from cctrace.ingest.pipeline import ingest as ingest_video
from cctrace.schemas import IndexStatsOut, IngestOut, IngestVideoOut, MotExportOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.vector_index import FlatFaceIndex

VideoProgress = Callable[[float, float], None]
"""Called with (video seconds done, video seconds in all)."""
ProgressFactory = Callable[[str, float | None], VideoProgress]
"""Given a video's name and duration (s, None if unknown), its progress callback."""


def ingest(
    ctx: Context,
    videos: list[Path],
    camera_id: str,
    start: str | None = None,
    options: IngestOptions | None = None,
    progress: ProgressFactory | None = None,
    names: list[str] | None = None,
    models: VisionModels | None = None,
) -> IngestOut:
    """Index footage of one camera: idempotent (the same file twice adds nothing) and
    resumable (run again after a crash and it goes on from its last checkpoint).

    ``names``: how to call each file in the answer (an upload's own file name);
    ``models``: already loaded models (a caller ingesting many files loads them once)."""
    options = options or IngestOptions()
    start_utc = parse_start(start) if start is not None else None
    if start_utc is not None and len(videos) > 1:
        raise InputError("--start applies to one video; ingest videos one at a time", "start")
    authorize(ctx, "add_footage")
    store = ctx.store
    store.check_writable()
    now = datetime.now(UTC)
    prepared = [prepare(store, v, camera_id, start_utc, now) for v in videos]
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    index.reconcile(store)  # repair what a crash between commit and index left
    models = models or VisionModels.load(options.person_detector)
    results = []
    for k, p in enumerate(prepared):
        name = names[k] if names is not None else p.path.name
        reporter = progress(name, p.info.duration_s) if progress is not None else None
        r = ingest_video(store, index, models, p, options, reporter)
        results.append(
            IngestVideoOut(
                path=r.path if names is None else name,
                video_id=r.video_id,
                camera_id=r.camera_id,
                outcome=r.outcome,
                start=r.start_utc.isoformat(),
                duration_s=round(r.duration_s, 3),
                sightings_added=r.sightings_added,
                sightings_total=r.sightings_total,
                frames_decoded=r.frames_decoded,
                frames_sampled=r.frames_sampled,
                frames_analysed=r.frames_analysed,
                frames_skipped_motion=r.frames_skipped_motion,
                elapsed_s=round(r.elapsed_s, 3),
                realtime_factor=round(r.duration_s / r.elapsed_s, 3) if r.elapsed_s > 0 else 0.0,
            )
        )
        record(
            ctx,
            AuditEvent(
                "ingest",
                f"{r.outcome}: {r.sightings_added} sightings added",
                target=f"video {r.video_id[:16]} of camera {r.camera_id}",
            ),
        )
    return IngestOut(videos=results)


def index_stats(ctx: Context) -> IndexStatsOut:
    authorize(ctx, "read_index")
    s = ctx.store.stats()
    return IndexStatsOut(
        cameras=s.cameras,
        videos=s.videos,
        sightings=s.sightings,
        faces=s.faces,
        first=s.first.isoformat() if s.first else None,
        last=s.last.isoformat() if s.last else None,
    )


def export_tracks(ctx: Context, camera_id: str, out_dir: Path) -> MotExportOut:
    """A camera's tracks in MOTChallenge format (boxes and ids, no biometrics)."""
    authorize(ctx, "read_index")
    files, tracks, lines = export_mot(ctx.store, camera_id, out_dir)
    record(ctx, AuditEvent("export_tracks", f"{tracks} tracks", target=f"camera {camera_id}"))
    return MotExportOut(files=[str(f) for f in files], tracks=tracks, lines=lines)
