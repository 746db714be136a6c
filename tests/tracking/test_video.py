"""The tracker on real footage: NanoDet persons on the shared Intel sample video.

``one-by-one-person-detection.mp4`` (768x432, 10 fps, 139 s) shows an empty room that
six people cross one at a time. Counted by eye on a contact sheet, and confirmed by the
detector's confident boxes, the passages are (seconds):
6.5-19.5, 23-44.5, 50.7-69.5, 74.7-86.5, 92.9-119.5, 123.8-135.8.
So there is never more than one person in view, and each passage is one person.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cctrace.tracking import ByteTracker, Track
from cctrace.video.frames import Frame, iter_frames
from cctrace.vision.persons import create_person_detector

PASSAGES_S = (
    (6.5, 19.5),
    (23.0, 44.5),
    (50.7, 69.5),
    (74.7, 86.5),
    (92.9, 119.5),
    (123.8, 135.8),
)


def sample_frames(path: Path, period_s: float, t0_s: float, t1_s: float) -> Iterator[Frame]:
    """Frames from ``t0_s`` to ``t1_s`` taken at most every ``period_s`` seconds.

    Sampling by time rather than every n-th frame gives the tracker the irregular time
    steps real ingestion produces (0.2 s and 0.3 s alternately at 10 fps for 0.25 s).
    """
    next_t = t0_s
    for frame in iter_frames(path):
        if frame.t_s > t1_s:
            return
        if frame.t_s + 1e-6 >= next_t:
            # Step on a fixed time grid, not from the frame taken, so that the mean rate
            # is 1 / period_s whatever the video's frame rate.
            while next_t <= frame.t_s + 1e-6:
                next_t += period_s
            yield frame


def track_video(path: Path, t0_s: float, t1_s: float) -> tuple[list[Track], int, list[list[int]]]:
    """Tracks, the most tracks output on one frame, and the IDs output per sampled frame."""
    detector = create_person_detector(None)
    tracker = ByteTracker()
    most = 0
    ids_per_frame: list[list[int]] = []
    for frame in sample_frames(path, 0.25, t0_s, t1_s):
        out = tracker.update(detector.detect(frame.image_bgr), frame.t_s)
        most = max(most, len(out))
        ids_per_frame.append(out.track_id.tolist())
    return tracker.flush(), most, ids_per_frame


def _check_passages(tracks: list[Track], passages: tuple[tuple[float, float], ...]) -> None:
    """One track per passage, IDs 1, 2, ... in order, spanning the passage to ~1 s."""
    assert [t.track_id for t in tracks] == list(range(1, len(passages) + 1))
    for track, (start, end) in zip(tracks, passages, strict=True):
        assert abs(track.t_start_s - start) < 1.0, (track.track_id, track.t_start_s, start)
        assert abs(track.t_end_s - end) < 1.0, (track.track_id, track.t_end_s, end)
        # The track's boxes are person-shaped: taller than wide.
        h = track.box_xyxy[:, 3] - track.box_xyxy[:, 1]
        w = track.box_xyxy[:, 2] - track.box_xyxy[:, 0]
        assert np.median(h / w) > 1.5
    for a, b in itertools.pairwise(tracks):
        assert a.t_end_s < b.t_start_s  # one at a time


def test_two_passages_two_ids_never_together(shared_video: Path) -> None:
    # 80-98 s: the end of the fourth passage, an empty room, the fifth person coming in.
    # About 72 sampled frames, a few seconds of NanoDet on a CPU.
    tracks, most, _ = track_video(shared_video, 80.0, 98.0)
    assert most == 1
    _check_passages(tracks, ((80.0, 86.5), (92.9, 98.0)))


@pytest.mark.slow
def test_whole_video_one_track_per_person(shared_video: Path) -> None:
    tracks, most, ids_per_frame = track_video(shared_video, 0.0, 140.0)
    assert most == 1
    _check_passages(tracks, PASSAGES_S)
    # Within a passage the output ID never changes.
    seen = [ids[0] for ids in ids_per_frame if ids]
    changes = sum(1 for a, b in itertools.pairwise(seen) if a != b)
    assert changes == len(PASSAGES_S) - 1
