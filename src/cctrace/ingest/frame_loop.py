"""The frame loop of one video, or of one span of it: sample frames, detect people,
track them, find and embed faces, and hand each checkpoint's finished sightings to a
sink (the store in `cctrace.ingest.pipeline`, a sealed list on a distributed worker).
Touches no store.

Checkpoints fall where the tracker holds no track at all (everyone has left the view),
or where a stretch grows past ``checkpoint_every_s`` (then live tracks are ended, as at
the end of a video). At every checkpoint the stateful parts (tracker, motion gate) are
reset the way a resumed run starts them, so a run killed at any moment and started again
produces exactly the sightings of an uninterrupted run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.core.types import Detections, FloatArray, ImageBGR, Sighting, TrackedDetections
from cctrace.ingest.aggregate import TrackEvidence, build_sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, ProgressFn, VisionModels
from cctrace.ingest.motion import MotionGate
from cctrace.ingest.rate import (
    RatePolicy,
    fallback_heads,
    new_window,
    should_analyse,
    tiles_needed,
    tracked_person_missed,
)
from cctrace.tracking.bytetrack import ByteTracker, Track
from cctrace.tracking.faces import link_faces_to_tracks
from cctrace.tracking.identity import IdentityWatch, box_content
from cctrace.tracking.scene import SceneCutDetector
from cctrace.video.frames import Frame, iter_frames
from cctrace.video.quiet import QuietAwareFrames
from cctrace.video.spans import FrameSpan, iter_span_frames
from cctrace.vision.analyze import FaceAnalysis
from cctrace.vision.appearance import colour_descriptors
from cctrace.vision.mask import footage_mask_votes, small_face_mask_votes
from cctrace.vision.persons import (
    NANODET_INPUT_PX,
    PERSON_SCORE_THRESHOLD,
    NanoDetPersonDetector,
)

MIN_EMBED_FACE_PX = 20.0
"""Narrower faces are not embedded: below about 20 px SFace cannot tell people apart."""


@dataclass
class _Segment:
    """State that lives between two checkpoints."""

    tracker: ByteTracker
    evidence: dict[int, TrackEvidence] = field(default_factory=dict)
    observations: dict[int, int] = field(default_factory=dict)
    pending: list[Sighting] = field(default_factory=list)
    t_tiled_s: float = -math.inf
    """Time of the last frame whose persons were searched with tiles (ingest/rate.py)."""
    t_fallback_s: float = -math.inf
    """Time of the last frame where every faceless head got the face cascade's fallback."""
    face_seen: dict[int, bool] = field(default_factory=dict)
    """Per live track: whether a face was linked to it on its last analysed frame."""
    scene: SceneCutDetector = field(default_factory=SceneCutDetector)
    identity: IdentityWatch = field(default_factory=IdentityWatch)
    last_image: ImageBGR | None = None
    """The previous analysed frame (`IdentityWatch` compares what a box shows with it)."""


@dataclass(frozen=True)
class Checkpoint:
    """What the frame loop hands its sink at each checkpoint: the finished sightings of
    the stretch since the last one, and where a resumed run would start."""

    t_s: float
    next_track_id: int
    frames_analysed: int
    sightings: list[Sighting]


CheckpointSink = Callable[[Checkpoint], None]
"""Where finished sightings go: the store (`StoreSink`) or, on an ingestion worker, a
sealed list returned to the one writer (`cctrace.ingest.worker`)."""


@dataclass(frozen=True)
class LoopCounters:
    decoded: int
    sampled: int
    analysed: int
    """Frames analysed in all, those of earlier runs of this video included."""
    skipped: int
    last_t_s: float
    """Time of the last frame decoded (-inf if none)."""


def analyse_video(
    models: VisionModels,
    video: PreparedVideo,
    opts: IngestOptions,
    sink: CheckpointSink,
    *,
    start_utc: datetime,
    resume_t_s: float | None,
    first_track_id: int,
    frames_analysed: int,
    progress: ProgressFn | None = None,
    span: FrameSpan | None = None,
) -> LoopCounters:
    """The frame loop of one video, or of one span of it (a segment): sample, analyse,
    track, and hand each checkpoint's sightings to ``sink``. Touches no store.

    ``span``: only frames from ``span.t_begin_s`` (a keyframe, decoding starts there) to
    before ``span.t_end_s``; tracks still live at its end are ended there (the writer
    joins them with the next segment's). Raises InputError on undecodable input."""
    info = video.info
    start_epoch_s = start_utc.timestamp()
    counters = {"decoded": 0, "sampled": 0, "analysed": frames_analysed, "skipped": 0}
    duration_s = info.duration_s or 0.0

    gate = MotionGate(threshold=opts.motion_threshold)
    segment = _Segment(ByteTracker(first_track_id=first_track_id))
    last_checkpoint_t = resume_t_s if resume_t_s is not None else 0.0
    last_bin = math.floor(resume_t_s * opts.sample_fps + 1e-9) if resume_t_s is not None else -1
    # While someone appears or a picture changes fast, samples come at least
    # `changing_min_fps` a second: bins of that finer rate, counted like the coarse ones
    # (ingest/inputs.py).
    fine_fps = max(opts.sample_fps, opts.changing_min_fps)
    last_fine_bin = math.floor(resume_t_s * fine_fps + 1e-9) if resume_t_s is not None else -1
    # Frames before lead_until only warm the tracker (a segment's lead): the segment
    # before owns them, so no sighting, evidence or count comes from them.
    lead_until = -math.inf
    if span is not None and resume_t_s is None:
        last_checkpoint_t = span.t_begin_s
        last_bin = span.first_bin - 1
        if span.t_lead_s is not None and span.lead_first_bin is not None:
            lead_until = span.t_begin_s
            last_bin = min(last_bin, span.lead_first_bin - 1)
    last_t = -math.inf
    image_size = (info.width, info.height)

    def finish_tracks(tracks: list[Track]) -> None:
        for track in tracks:
            ev = segment.evidence.pop(track.track_id, TrackEvidence())
            segment.observations.pop(track.track_id, None)
            segment.face_seen.pop(track.track_id, None)
            segment.identity.forget(track.track_id)
            if track.t_start_s < lead_until - 1e-9:
                keep = track.t_s >= lead_until - 1e-9
                if not keep.any():
                    continue  # ended in the lead: the segment before reports it
                track = Track(
                    track.track_id, track.t_s[keep], track.box_xyxy[keep], track.score[keep]
                )
            segment.pending.append(
                build_sighting(
                    track=track,
                    evidence=ev,
                    camera_id=video.camera_id,
                    video_id=video.video_id,
                    start_epoch_s=start_epoch_s,
                    image_size_px=image_size,
                    calibration=video.calibration,
                )
            )

    def checkpoint(t_s: float) -> None:
        nonlocal last_checkpoint_t, segment
        sink(
            Checkpoint(
                t_s=t_s,
                next_track_id=segment.tracker.next_track_id,
                frames_analysed=counters["analysed"],
                sightings=segment.pending,
            )
        )
        last_checkpoint_t = t_s
        # Start the next segment exactly as a resumed run would start it.
        segment = _Segment(ByteTracker(first_track_id=segment.tracker.next_track_id))
        gate.reset()

    def due(t_s: float) -> bool:
        """Whether the frame at ``t_s`` starts a new sample: a new bin of ``sample_fps``,
        or of ``fine_fps`` while someone appears or a picture changes fast."""
        if math.floor(t_s * opts.sample_fps + 1e-9) > last_bin:
            return True
        return (
            fine_fps > opts.sample_fps
            and math.floor(t_s * fine_fps + 1e-9) > last_fine_bin
            and _sample_finely(opts, segment)
        )

    def wanted(index: int, t_s: float) -> bool:
        """Only frames that will be sampled and analysed are converted to pixels."""
        if resume_t_s is not None and t_s <= resume_t_s + 1e-9:
            return False
        return due(t_s) and _rate_wants(opts, segment, t_s)

    quiet = False
    """The last sample was skipped by the motion gate with nobody tracked: the next ones
    would be too, until the picture changes (keyframe-only decoding meanwhile)."""
    reader: QuietAwareFrames | None = None
    frames: Iterable[Frame]
    if opts.keyframes_when_quiet and opts.motion_skip:
        reader = QuietAwareFrames(
            video.path,
            quiet=lambda: quiet,
            want=wanted,
            t_begin_s=0.0 if span is None else first_t_s(span),
            t_end_s=math.inf if span is None else span.t_end_s,
            first_pts=None if span is None else span.first_pts,
            max_keyframe_gap_s=opts.quiet_max_keyframe_gap_s,
        )
        frames = reader
    elif span is None:
        frames = iter_frames(video.path, want=wanted)
    else:
        frames = iter_span_frames(
            video.path,
            first_t_s(span),
            span.t_end_s,
            span.first_pts,
            wanted,
        )
    in_lead = lead_until > -math.inf
    for frame in frames:
        counters["decoded"] += 1
        t_s = frame.t_s
        last_t = t_s
        if (
            reader is not None
            and frame.keyframe_probe
            and gate.should_analyse(frame.image_bgr, segment.tracker.is_empty)
        ):
            # Something changed since the last frame used: decode every frame after it.
            reader.rewind()
            quiet = False
            continue
        if resume_t_s is not None and t_s <= resume_t_s + 1e-9:
            continue
        if not due(t_s):
            continue
        last_bin = math.floor(t_s * opts.sample_fps + 1e-9)
        last_fine_bin = math.floor(t_s * fine_fps + 1e-9)
        if in_lead and t_s >= lead_until - 1e-9:
            in_lead = False
            segment.evidence.clear()  # what the lead saw of live tracks is the segment before's
        if not in_lead:
            counters["sampled"] += 1
        if progress is not None:
            progress(t_s, duration_s)
        tracker = segment.tracker
        if not _rate_wants(opts, segment, t_s):
            continue  # a calm scene: the tracker bridges this sample (ingest/rate.py)
        if opts.motion_skip and not gate.should_analyse(frame.image_bgr, tracker.is_empty):
            counters["skipped"] += 0 if in_lead else 1
            quiet = tracker.is_empty
            continue
        quiet = False
        n_persons = _analyse_frame(frame.image_bgr, t_s, models, segment, opts)
        counters["analysed"] += 0 if in_lead else 1
        gate.analysed(frame.image_bgr, n_persons)
        finish_tracks(tracker.finished())
        if t_s - last_checkpoint_t >= opts.checkpoint_every_s:
            finish_tracks(tracker.flush())
            checkpoint(t_s)
        elif segment.pending and tracker.is_empty:
            checkpoint(t_s)
    if counters["decoded"] == 0:
        raise InputError(f"{video.path}: the video holds no decodable frame")
    if reader is not None:
        last_t = max(last_t, reader.last_t_s)  # frames passed over while quiet count
    if (
        (span is None or math.isinf(span.t_end_s))
        and info.duration_s
        and last_t < info.duration_s - max(2.0, 3.0 / max(info.fps, 1.0))
    ):
        raise InputError(
            f"{video.path}: the video stops at {last_t:.1f} s of {info.duration_s:.1f} s; "
            "the file is truncated or damaged. Copy it again from the recorder"
        )
    finish_tracks(segment.tracker.flush())
    end_t = max(last_t, last_checkpoint_t)
    checkpoint(end_t)
    return LoopCounters(
        counters["decoded"], counters["sampled"], counters["analysed"], counters["skipped"], last_t
    )


def first_t_s(span: FrameSpan) -> float:
    """Where decoding of a span starts: its lead's keyframe, or its own first frame."""
    return span.t_begin_s if span.t_lead_s is None else span.t_lead_s


def _rate_policy(opts: IngestOptions) -> RatePolicy:
    return RatePolicy(
        opts.calm_every,
        tile_every_s=opts.tile_every_s,
        tiles_while_small=opts.tiles_while_small,
    )


def _rate_wants(opts: IngestOptions, segment: _Segment, t_s: float) -> bool:
    """Whether the sample at ``t_s`` is analysed under the adaptive rate (always when off)."""
    if not opts.adaptive_rate:
        return True
    tracker = segment.tracker
    return should_analyse(
        t_s,
        opts.sample_fps,
        tracker.t_last_s,
        tracker.live(t_s),
        _rate_policy(opts),
        _changing(opts, segment),
    )


def _sample_finely(opts: IngestOptions, segment: _Segment) -> bool:
    """Whether samples must come at least ``changing_min_fps`` apart now: a tracked
    person's picture changes fast, or someone just appeared (a tentative track: the
    identity watch has not seen their picture yet, and at one sample a second the next
    look may already show the next person)."""
    if not _changing_watched(opts):
        return False
    tracker = segment.tracker
    return segment.identity.changing(tracker.live_track_ids) or any(
        not t.confirmed for t in tracker.live()
    )


def _changing_watched(opts: IngestOptions) -> bool:
    return opts.identity_breaks and opts.identity_content and opts.full_rate_while_changing


def _changing(opts: IngestOptions, segment: _Segment) -> bool:
    """Whether a live track's picture changed fast on its last observation and the rules
    that read it are on (every sample analysed, at least ``changing_min_fps``)."""
    return _changing_watched(opts) and segment.identity.changing(segment.tracker.live_track_ids)


def _detect_persons(
    image: ImageBGR, t_s: float, models: VisionModels, segment: _Segment, opts: IngestOptions
) -> Detections:
    """Tiled NanoDet only where it can find someone the full-frame pass cannot: at least
    once in every ``tile_every_s`` window, and on a frame where the full-frame pass lost
    a tracked person (any confirmed one, or a small one; with ``tiles_while_small``, on
    every frame while a tracked person is small)."""
    detector = models.persons
    h, w = image.shape[:2]
    if not (
        opts.adaptive_rate
        and isinstance(detector, NanoDetPersonDetector)
        and detector.detects_tiled(w, h)
    ):
        return detector.detect(image)
    tracks = segment.tracker.live(t_s)
    policy = _rate_policy(opts)
    shrink = max(h, w) / NANODET_INPUT_PX
    if tiles_needed(t_s, segment.t_tiled_s, tracks, shrink, policy):
        segment.t_tiled_s = t_s
        return detector.detect(image, tiles=True)
    full = detector.detect(image, tiles=False)
    # Weak boxes (kept for the tracker's second stage) do not count as finding someone:
    # tiles are run as they were when the detector cut at PERSON_SCORE_THRESHOLD.
    confident = full.box_xyxy[full.score >= PERSON_SCORE_THRESHOLD]
    if tracked_person_missed(tracks, confident, policy.small_input_px * shrink):
        return detector.detect(image, tiles=True, full_pass=full)
    return full


def _analyse_frame(
    image: ImageBGR, t_s: float, models: VisionModels, segment: _Segment, opts: IngestOptions
) -> int:
    """Detect, track and gather evidence for one frame; returns the number of persons
    found with a confident box (weak boxes only extend tracks; an empty room's motion
    gate must not be kept awake by them)."""
    persons = _detect_persons(image, t_s, models, segment, opts)
    n_persons = int(np.count_nonzero(persons.score >= PERSON_SCORE_THRESHOLD))
    before, segment.last_image = segment.last_image, image
    if opts.identity_breaks and segment.scene.is_cut(
        image, t_s, _people_in_view(segment.tracker), persons.box_xyxy
    ):
        segment.tracker.cut()  # nobody seen from here on is anyone seen before the cut
    tracked = segment.tracker.update(persons, t_s)
    if len(tracked) == 0:
        return n_persons
    fallback = _fallback_rows(t_s, segment, tracked, opts)
    faces = models.faces.find(image, tracked.detections, opts.face_cascade, fallback)
    face_track = link_faces_to_tracks(tracked, faces)
    # Only faces on a track, and large enough to recognise, are worth embedding: a face
    # under MIN_EMBED_FACE_PX wide gives an embedding that matches anyone (see
    # docs/benchmarks.md, face verification at CCTV sizes).
    width = faces.box_xyxy[:, 2] - faces.box_xyxy[:, 0]
    chosen = np.flatnonzero((face_track >= 0) & (width >= MIN_EMBED_FACE_PX))
    analysis = models.faces.describe(image, faces[chosen]) if len(chosen) else None
    if opts.identity_breaks:
        tracked, face_track = _split_changed_identities(
            image, before, segment, tracked, face_track, chosen, analysis, opts.identity_content
        )
    linked = set(face_track[face_track >= 0].tolist())
    for i in np.flatnonzero(face_track >= 0).tolist():
        ev = segment.evidence.setdefault(int(face_track[i]), TrackEvidence())
        ev.add_face_width(t_s, float(width[i]))
    for track_id in tracked.track_id.tolist():
        segment.face_seen[track_id] = track_id in linked
    if analysis is not None:
        votes = footage_mask_votes(
            image, analysis.faces.box_xyxy, analysis.mask_probability, opts.mask_colour_check
        )
        for j, i in enumerate(chosen):
            ev = segment.evidence.setdefault(int(face_track[i]), TrackEvidence())
            ev.add_face(
                analysis.embedding[j], float(analysis.quality[j]), votes[j], analysis.aligned[j]
            )
    if opts.mask_colour_check and opts.mask_small_faces:
        # Faces too small to embed still show whether the lower face is covered.
        small = np.flatnonzero((face_track >= 0) & (width < MIN_EMBED_FACE_PX))
        small_votes = small_face_mask_votes(image, faces.box_xyxy[small])
        for i, vote in zip(small.tolist(), small_votes, strict=True):
            if vote is not None:
                segment.evidence.setdefault(int(face_track[i]), TrackEvidence()).add_mask_vote(vote)
    # Appearance on every n-th observation of each track, batched in one model call.
    want = []
    for row, track_id in enumerate(tracked.track_id.tolist()):
        n = segment.observations.get(track_id, 0)
        segment.observations[track_id] = n + 1
        if n % opts.appearance_every == 0:
            want.append(row)
    if want:
        rows = np.asarray(want, np.intp)
        descriptors = models.appearance.describe(image, tracked.detections[rows])
        for row, d in zip(want, descriptors, strict=True):
            track_id = int(tracked.track_id[row])
            segment.evidence.setdefault(track_id, TrackEvidence()).add_appearance(d)
    return n_persons


def _fallback_rows(
    t_s: float, segment: _Segment, tracked: TrackedDetections, opts: IngestOptions
) -> NDArray[np.bool_] | None:
    """Which tracked persons' heads the face cascade's fallback may search on this frame
    (None: all): all on the first analysed frame of each window of
    ``face_fallback_every_s``, otherwise `fallback_heads`."""
    if opts.face_fallback_every_s <= 0:
        return None
    if new_window(t_s, segment.t_fallback_s, opts.face_fallback_every_s):
        segment.t_fallback_s = t_s
        return None
    return fallback_heads(tracked.track_id.tolist(), segment.face_seen)


def _people_in_view(tracker: ByteTracker) -> FloatArray:
    """Boxes (T, 4) of the confirmed tracks matched on the tracker's last frame."""
    boxes = [t.box_xyxy for t in tracker.live() if t.confirmed and t.t_update_s == tracker.t_last_s]
    return np.asarray(boxes, np.float32).reshape(-1, 4)


def _split_changed_identities(
    image: ImageBGR,
    before: ImageBGR | None,
    segment: _Segment,
    tracked: TrackedDetections,
    face_track: NDArray[np.int64],
    chosen: NDArray[np.intp],
    analysis: FaceAnalysis | None,
    use_content: bool,
) -> tuple[TrackedDetections, NDArray[np.int64]]:
    """Split the tracks whose person changed on this frame (`IdentityWatch`); returns
    the frame's tracked persons and face links under the IDs after the splits."""
    faces: list[tuple[FloatArray, float] | None] = [None] * len(tracked)
    row_of = {int(tid): row for row, tid in enumerate(tracked.track_id.tolist())}
    if analysis is not None:
        for j, i in enumerate(chosen):
            faces[row_of[int(face_track[i])]] = (
                analysis.embedding[j],
                float(analysis.quality[j]),
            )
    colour = colour_descriptors(image, tracked.detections)
    content = box_content(image, before, tracked.detections.box_xyxy) if use_content else None
    jumps = segment.identity.observe(tracked.track_id, colour, faces, content)
    if not jumps:
        return tracked, face_track
    ids = tracked.track_id.copy()
    links = face_track.copy()
    for jump in jumps:
        new_id = segment.tracker.split(jump.track_id, jump.keep_last)
        segment.identity.rename(jump.track_id, new_id)
        ids[ids == jump.track_id] = new_id
        links[links == jump.track_id] = new_id
    return TrackedDetections(tracked.detections, ids), links
