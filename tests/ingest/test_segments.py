"""Segment cuts own whole sample bins, and track pieces are joined across cuts only where
one track plausibly went on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.segments import (
    TRACK_ID_STRIDE,
    SegmentSightings,
    _first_bin,
    join_segments,
    merge_sightings,
    plan_spans,
)
from cctrace.ingest.worker import span_sightings
from cctrace.video.clips import make_clip
from cctrace.video.frames import probe
from cctrace.video.spans import FrameSpan

FRAMES_10FPS = [i / 10 for i in range(100)]


@pytest.mark.parametrize(
    ("begin_s", "fps", "first_bin"),
    [
        (2.0, 4.0, 8),  # the cut opens bin 8: this span samples it
        (2.1, 4.0, 9),  # 2.0 s, before the cut, already opened bin 8
        (2.5, 4.0, 10),  # 2.5 s opens bin 10
        (2.6, 2.0, 6),  # 2.5 s opened bin 5; 2.6 s lies in it
        (3.0, 1.0, 3),
    ],
)
def test_a_span_owns_the_bins_whose_first_frame_it_holds(
    begin_s: float, fps: float, first_bin: int
) -> None:
    assert _first_bin(FRAMES_10FPS, begin_s, fps) == first_bin


def piece(track_id: int, t0: float, t1: float, x0: float, x1: float, faces: int) -> Sighting:
    """A walker moving from x0 to x1 px between t0 and t1 s (4 points a second)."""
    t = np.arange(t0, t1 + 1e-9, 0.25, dtype=np.float64)
    x = np.linspace(x0, x1, len(t))
    boxes = np.stack([x, np.full_like(x, 100), x + 60, np.full_like(x, 280)], 1)
    face = np.zeros(128, np.float32)
    face[track_id % 128] = 1.0
    return Sighting(
        sighting_id=f"video-{track_id:06d}",
        camera_id="c",
        video_id="video",
        track_id=track_id,
        t_start_s=float(t[0]),
        t_end_s=float(t[-1]),
        path_t_s=t,
        path_floor_xy_m=np.zeros((len(t), 2), np.float32),
        path_approximate=True,
        face_count=faces,
        face_quality=0.5,
        face_embedding=face if faces else None,
        appearance=None,
        mask_ratio=0.5 if faces else None,
        thumbnail_jpeg=None,
        path_box_xyxy=boxes.astype(np.float32),
        face_weight=float(faces),
    )


def segment(k: int, begin_s: float, end_s: float, *pieces: Sighting) -> SegmentSightings:
    return SegmentSightings(FrameSpan(k, begin_s, end_s, 0, 0), 0.0, list(pieces))


def test_a_track_crossing_two_cuts_is_one_sighting_with_the_first_id() -> None:
    s = TRACK_ID_STRIDE
    joined = join_segments(
        [
            segment(0, 0.0, 10.0, piece(1, 6.0, 9.75, 0, 150, 2)),
            segment(1, 10.0, 20.0, piece(s + 1, 10.0, 19.75, 160, 550, 4)),
            segment(2, 20.0, np.inf, piece(2 * s + 1, 20.0, 24.0, 560, 700, 0)),
        ]
    )
    assert [len(g) for g in joined] == [1, 0, 0]
    [walker] = joined[0]
    assert walker.sighting_id == "video-000001"
    assert (walker.t_start_s, walker.t_end_s) == (6.0, 24.0)
    assert walker.face_count == 6 and walker.mask_ratio == pytest.approx(0.5)
    assert np.all(np.diff(walker.path_t_s) > 0)
    assert walker.face_embedding is not None
    assert float(np.linalg.norm(walker.face_embedding)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("after", "why"),
    [
        (piece(TRACK_ID_STRIDE + 1, 10.0, 15.0, 400, 500, 1), "boxes far apart"),
        (piece(TRACK_ID_STRIDE + 1, 12.5, 15.0, 160, 300, 1), "gap over 2 s"),
    ],
)
def test_pieces_that_are_not_one_track_stay_apart(after: Sighting, why: str) -> None:
    joined = join_segments(
        [
            segment(0, 0.0, 10.0, piece(1, 6.0, 9.75, 0, 150, 1)),
            segment(1, 10.0, np.inf, after),
        ]
    )
    assert [len(g) for g in joined] == [1, 1], why


def test_merged_face_is_the_quality_weighted_mean() -> None:
    a = piece(1, 0.0, 1.0, 0, 10, 1)
    b = piece(2, 1.25, 2.0, 10, 20, 1)
    a = merge_sightings(a, a)  # face weight 2 on track 1's direction
    merged = merge_sightings(a, b)
    assert merged.face_embedding is not None
    assert merged.face_embedding[1] == pytest.approx(2 / np.sqrt(5), abs=1e-6)
    assert merged.face_embedding[2] == pytest.approx(1 / np.sqrt(5), abs=1e-6)


def test_with_a_fixed_rate_a_video_cut_in_three_gives_exactly_the_whole_result(
    tmp_path: Path, shared_video: Path
) -> None:
    """Real frames and models: the walk of frames 450-700 (one person, 6 s to 24 s) cut
    at 8 s and 16 s, each segment from its own lead, joined: the whole run's sightings,
    point for point. Only the adaptive rate is off: its every-other-sample phase depends
    on the history before a cut (see docs/benchmarks.md)."""
    clip = make_clip(
        shared_video,
        tmp_path / "walk.mp4",
        450,
        700,
        keyframe_every=10,
        creation_time="2026-11-20T11:00:00Z",
    )
    info = probe(clip)
    start = datetime(2026, 11, 20, 11, tzinfo=UTC)
    video = PreparedVideo(clip, info, "f" * 64, "hall", start, None, None)
    opts = IngestOptions(sample_fps=2.0, adaptive_rate=False)
    models = VisionModels.load()

    whole = span_sightings(models, video, opts, start, None)
    spans = plan_spans(clip, opts.sample_fps, 8.0)
    assert [s.t_begin_s for s in spans] == [0.0, 8.0, 16.0]
    pieces = [
        SegmentSightings(s, start.timestamp(), span_sightings(models, video, opts, start, s))
        for s in spans
    ]
    assert sum(len(p.sightings) for p in pieces) > len(whole)  # tracks were cut
    split = [s for group in join_segments(pieces) for s in group]
    assert [s.sighting_id for s in split] == [s.sighting_id for s in whole]
    for w, s in zip(whole, split, strict=True):
        np.testing.assert_array_equal(w.path_t_s, s.path_t_s)
        assert w.face_count == s.face_count
        for a, b in ((w.face_embedding, s.face_embedding), (w.appearance, s.appearance)):
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert float(np.dot(a, b)) > 0.999
