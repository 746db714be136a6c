"""The frame loop ends tracks at a scene change: an edited clip of the shared video's walk
cut into another camera's view gives no sighting that runs across the cut, while the
tracker alone (``identity_breaks=False``) carries the walker into the other scene."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from cctrace.core.types import ImageBGR, Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.render import encode_h264
from cctrace.video.frames import iter_frames, probe
from tests.conftest import shared_file

START = datetime(2026, 1, 1, tzinfo=UTC)
CUT_S = 2.0


def _frames(path: Path, first_s: float, seconds: float) -> list[ImageBGR]:
    out = []
    for frame in iter_frames(path):
        if frame.t_s >= first_s + seconds:
            break
        if frame.t_s >= first_s:
            out.append(np.asarray(cv2.resize(frame.image_bgr, (768, 432)), np.uint8))
    return out


def _edited(frames: list[ImageBGR], clip: Path) -> PreparedVideo:
    """An edited clip of ``frames`` at 10 fps, ready for the frame loop."""
    encode_h264(clip, 10.0, (768, 432), frames)
    return PreparedVideo(clip, probe(clip), "e" * 64, "cam", START, None, None)


def _across(sightings: list[Sighting], t_cut: float) -> list[float]:
    """How far past the cut each sighting that began before it went on (s)."""
    return [s.t_end_s - t_cut for s in sightings if s.t_start_s < t_cut <= s.t_end_s]


def _walking_jump(shared_video: Path, tmp_path: Path) -> tuple[PreparedVideo, float]:
    """The last walker (grey shirt) reaching the table, then a jump to the fourth one
    (black T-shirt) walking to it on the same path; and the cut's time."""
    frames = _frames(shared_video, 122.7, 3.0) + _frames(shared_video, 76.1, 3.0)
    return _edited(frames, tmp_path / "walk.mp4"), START.timestamp() + 3.0


def _assert_carried(video: PreparedVideo, opts: IngestOptions, t_cut: float) -> None:
    """Under ``opts`` a track goes on at least 1 s past the cut: the failure each test
    guards against, shown on the same clip."""
    sightings = span_sightings(VisionModels.load(), video, opts, START, None)
    assert max(_across(sightings, t_cut), default=0.0) >= 1.0


def test_no_track_runs_across_a_cut_into_another_view(shared_video: Path, tmp_path: Path) -> None:
    # The walker mid-room (10.4 s), then the store aisle GIF, where people stand in the
    # middle of the picture: the tracker alone matches one of them to the walker.
    walk = _frames(shared_video, 8.4, CUT_S)
    aisle = _frames(shared_file("intel-sample-videos/store-aisle-detection.gif"), 0.0, 2.0)
    video = _edited(walk + aisle[: len(walk)], tmp_path / "edited.mp4")
    t_cut = START.timestamp() + CUT_S
    _assert_carried(video, IngestOptions(identity_breaks=False), t_cut)
    after = span_sightings(VisionModels.load(), video, IngestOptions(), START, None)
    assert _across(after, t_cut) == []
    # The walker's track ends at the cut, and the aisle's people are tracked afresh
    # (its last analysed sample is 0.25 or 0.5 s before the cut: ingest/rate.py).
    assert any(t_cut - 0.6 < s.t_end_s < t_cut for s in after)
    assert any(s.t_start_s >= t_cut for s in after)


def test_no_track_runs_across_a_jump_to_another_moment_of_the_same_room(
    shared_video: Path, tmp_path: Path
) -> None:
    # The second walker standing at the table (black jacket), then the picture jumps to
    # the third one standing there (black top, long fair hair): no scene change, boxes
    # that hardly move and clothing colours too alike for the colour rule; the step in
    # what the box shows ends the track (benchmarks/bench_cuts.py sweeps such jumps).
    frames = _frames(shared_video, 30.6, CUT_S) + _frames(shared_video, 60.9, 2.0)
    video = _edited(frames, tmp_path / "jump.mp4")
    t_cut = START.timestamp() + CUT_S
    _assert_carried(video, IngestOptions(identity_content=False), t_cut)
    after = span_sightings(VisionModels.load(), video, IngestOptions(), START, None)
    assert _across(after, t_cut) == []
    assert any(t_cut - 0.6 < s.t_end_s < t_cut for s in after)
    assert any(t_cut <= s.t_start_s < t_cut + 0.6 for s in after)


def test_no_track_runs_across_a_jump_while_both_people_walk_in(
    shared_video: Path, tmp_path: Path
) -> None:
    # The last walker (grey shirt) reaching the table, then the picture jumps to the fourth
    # one (black T-shirt) walking to it on the same path. With every other sample skipped
    # while calm, the walker's picture changes as much per analysed sample as the jump
    # does, so the step was not confirmed and the track carried the wrong person on;
    # analysing every sample while a picture changes fast ends it at the jump.
    video, t_cut = _walking_jump(shared_video, tmp_path)
    _assert_carried(video, IngestOptions(full_rate_while_changing=False), t_cut)
    after = span_sightings(VisionModels.load(), video, IngestOptions(), START, None)
    assert _across(after, t_cut) == []
    assert any(t_cut - 0.6 < s.t_end_s < t_cut for s in after)
    assert any(s.t_start_s >= t_cut for s in after)


def test_a_sparse_sampling_rate_still_looks_often_while_a_picture_changes(
    shared_video: Path, tmp_path: Path
) -> None:
    # The same walking jump sampled at 2 a second (`--fps 2`): the walker's picture changes
    # twice as much between two looks, and the look after the track was confirmed is
    # already the next person's. Samples come at least 4 a second while someone just
    # appeared or a picture changes fast (`changing_min_fps`), and the track ends there.
    video, t_cut = _walking_jump(shared_video, tmp_path)
    _assert_carried(video, IngestOptions(sample_fps=2.0, changing_min_fps=2.0), t_cut)
    after = span_sightings(VisionModels.load(), video, IngestOptions(sample_fps=2.0), START, None)
    assert _across(after, t_cut) == []
    assert any(s.t_start_s >= t_cut for s in after)
