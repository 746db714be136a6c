"""Footage: index video files into encrypted sightings; index statistics and track export."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.ingest.distributed import ProcessRunner, RayRunner, Runner
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.manifest import ManifestRow, RowProblem, raise_rows, read_manifest
from cctrace.ingest.mot_export import export_mot
from cctrace.ingest.pipeline import ingest as ingest_video
from cctrace.ingest.pipeline import parse_start, prepare
from cctrace.ingest.segments import plan_spans
from cctrace.ingest.worker import SegmentJob, SegmentOutcome
from cctrace.ingest.writer import VideoPlan, Writer, plan_video
from cctrace.schemas import IndexStatsOut, IngestOut, IngestVideoOut, MotExportOut
from cctrace.services.auth import Context, authorize
from cctrace.services.events import AuditEvent, record
from cctrace.store.sealing import load_or_create_seal_key, public_bytes
from cctrace.store.vector_index import FlatFaceIndex

DEFAULT_SEGMENT_S = 600.0
"""Videos longer than two of these are cut into segments that run in parallel: long
enough that the cuts (and the tracks joined across them) are rare."""

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


def ingest_manifest(
    ctx: Context,
    manifest: Path,
    options: IngestOptions | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    progress: ProgressFactory | None = None,
    segment_s: float = DEFAULT_SEGMENT_S,
    runner: Runner | None = None,
) -> IngestOut:
    """Index every video of a manifest (CSV ``path,camera_id,start``) on ``workers`` local
    processes, or on a Ray cluster (``ray_address``: ``"auto"`` for a local one).

    Every row is checked before any work; a bad row is named by its line and nothing is
    ingested. Videos longer than two ``segment_s`` are cut into segments at keyframes.
    Workers get the public sealing key only; this process opens, joins and commits (the
    one writer). The result equals ingesting each file alone with `ingest`.
    ``runner``: one made by the caller (to read its retry count), else one for
    ``workers`` or ``ray_address``."""
    options = options or IngestOptions()
    authorize(ctx, "add_footage")
    store = ctx.store
    store.check_writable()
    listed = read_manifest(manifest)
    now = datetime.now(UTC)
    prepared = []
    problems = list(listed.problems)
    for row in listed.rows:
        try:
            prepared.append((row, prepare(store, row.path, row.camera_id, row.start_utc, now)))
        except InputError as exc:
            problems.append(RowProblem(row.line, exc.message))
    first: dict[str, tuple[ManifestRow, PreparedVideo]] = {}
    for row, p in prepared:
        row0, p0 = first.setdefault(p.video_id, (row, p))
        if p0.camera_id != p.camera_id:
            problems.append(
                RowProblem(
                    row.line,
                    f"{row.path} has the same content as line {row0.line} ({row0.path}) "
                    f"but names camera {p.camera_id!r}, not {p0.camera_id!r}",
                )
            )
    if problems:
        raise_rows(manifest, problems)
    if runner is None:
        runner = RayRunner(ray_address) if ray_address else ProcessRunner(workers)
    seal_key = load_or_create_seal_key(store.home.key_path.parent)
    public_key = public_bytes(seal_key.public_key())
    index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
    index.reconcile(store)  # repair what a crash between commit and index left
    plans: dict[str, VideoPlan] = {}
    for _, p in prepared:
        if p.video_id in plans or (p.existing is not None and p.existing.status == "done"):
            continue
        spans = plan_spans(p.path, options.sample_fps, segment_s)
        plans[p.video_id] = plan_video(p, spans, options, public_key)
    names = {p.video_id: p.path.name for _, p in prepared}
    total_s = sum(j.duration_s for plan in plans.values() for j in plan.jobs)
    batch = progress(f"all {len(plans)} videos", total_s) if progress and plans else None
    reporters = {
        vid: progress(names[vid], sum(j.duration_s for j in plan.jobs))
        for vid, plan in plans.items()
        if progress is not None
    }
    done_s = {vid: 0.0 for vid in plans}
    writer = Writer(store, index, seal_key)
    elapsed: dict[str, float] = {}
    t0 = time.perf_counter()

    def on_done(job: SegmentJob, outcome: SegmentOutcome) -> None:
        plan = plans[job.video.video_id]
        plan.received[outcome.segment] = outcome
        done_s[job.video.video_id] += job.duration_s
        if job.video.video_id in reporters:
            total = sum(j.duration_s for j in plan.jobs)
            reporters[job.video.video_id](done_s[job.video.video_id], total)
        if batch is not None:
            batch(sum(done_s.values()), total_s)
        if plan.complete:
            writer.commit(plan)
            elapsed[job.video.video_id] = time.perf_counter() - t0
            record(
                ctx,
                AuditEvent(
                    "ingest",
                    f"{plan.outcome}: {plan.counters.added} sightings added "
                    f"({len(plan.jobs)} segments, sealed by workers)",
                    target=f"video {job.video.video_id[:16]} of camera {job.video.camera_id}",
                ),
            )

    runner.run([job for plan in plans.values() for job in plan.jobs], on_done)
    results = []
    seen: set[str] = set()
    for row, p in prepared:
        plan = plans.get(p.video_id)
        fresh = plan is not None and p.video_id not in seen
        seen.add(p.video_id)
        c = plan.counters if plan is not None and fresh else None
        duration_s = p.info.duration_s or 0.0
        took = elapsed.get(p.video_id, 0.0) if fresh else 0.0
        results.append(
            IngestVideoOut(
                path=str(row.path),
                video_id=p.video_id,
                camera_id=p.camera_id,
                outcome=plan.outcome if plan is not None and fresh else "already-ingested",
                start=(p.existing.start_utc if p.existing else p.start_utc).isoformat(),
                duration_s=round(duration_s, 3),
                sightings_added=c.added if c else 0,
                sightings_total=store.count_sightings(p.video_id),
                frames_decoded=c.decoded if c else 0,
                frames_sampled=c.sampled if c else 0,
                frames_analysed=c.analysed if c else 0,
                frames_skipped_motion=c.skipped if c else 0,
                elapsed_s=round(took, 3),
                realtime_factor=round(duration_s / took, 3) if took > 0 else 0.0,
            )
        )
    return IngestOut(videos=results)
