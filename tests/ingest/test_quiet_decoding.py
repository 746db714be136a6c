"""Ingestion with keyframe-only decoding while nobody is in view finds what full decoding
finds, on real frames and models."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cctrace.core.types import Sighting
from cctrace.ingest.frame_loop import LoopCounters, analyse_video
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.video.frames import probe
from cctrace.video.spans import FrameSpan, scan_packets


def test_the_empty_room_is_passed_on_keyframes_and_the_walker_is_found_as_before(
    shared_video: Path,
) -> None:
    """The first 23 s of the shared video (keyframes every second): the empty room until
    6.5 s, one person crossing until 19.5 s, the empty room again. The person enters
    between two keyframes; the rewind finds them from the same sample as full decoding."""
    start = datetime(2026, 11, 20, 10, tzinfo=UTC)
    video = PreparedVideo(shared_video, probe(shared_video), "e" * 64, "room", start, None, None)
    span = FrameSpan(0, 0.0, 23.0, scan_packets(shared_video).first_pts, 0)
    models = VisionModels.load()

    def run(opts: IngestOptions) -> tuple[list[Sighting], LoopCounters]:
        found: list[Sighting] = []
        counters = analyse_video(
            models,
            video,
            opts,
            lambda cp: found.extend(cp.sightings),
            start_utc=start,
            resume_t_s=None,
            first_track_id=1,
            frames_analysed=0,
            span=span,
        )
        return found, counters

    opts = IngestOptions(sample_fps=2.0)
    full, full_counts = run(replace(opts, keyframes_when_quiet=False))
    quiet, quiet_counts = run(opts)
    assert full_counts.decoded == 230
    assert quiet_counts.decoded < 200  # the empty stretches were passed on keyframes
    assert quiet_counts.analysed == full_counts.analysed
    walkers = [s for s in full if s.t_end_s - s.t_start_s > 5.0]
    assert len(walkers) == 1
    assert [s.sighting_id for s in quiet] == [s.sighting_id for s in full]
    for a, b in zip(full, quiet, strict=True):
        np.testing.assert_array_equal(a.path_t_s, b.path_t_s)
        assert a.face_count == b.face_count
