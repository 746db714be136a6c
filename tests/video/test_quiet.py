"""Keyframe-only decoding while quiet (`cctrace.video.quiet`) on the shared video, whose
keyframes come every second."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from cctrace.video.frames import iter_frames
from cctrace.video.quiet import QuietAwareFrames
from cctrace.video.spans import iter_span_frames, scan_packets


def _take(frames: QuietAwareFrames, rewind_on_probe: bool) -> list[tuple[float, bool]]:
    taken = []
    for frame in frames:
        if frame.keyframe_probe and rewind_on_probe:
            frames.rewind()
            continue
        taken.append((frame.t_s, frame.keyframe_probe))
    return taken


def test_a_consumer_that_sees_a_change_at_every_keyframe_gets_every_frame(
    shared_video: Path,
) -> None:
    """Every probe rewinds: the frames used are exactly those of a full decode, once each,
    in order, with the same pixels."""

    def check(_index: int, t_s: float) -> bool:
        return round(t_s * 10) % 37 == 0

    full = {}
    for f in iter_frames(shared_video, want=check):
        if f.t_s >= 15.0:
            break
        full[f.t_s] = f.image_bgr
    reader = QuietAwareFrames(shared_video, quiet=lambda: True, want=check, t_end_s=15.0)
    taken, pixels = [], {}
    for frame in reader:
        if frame.keyframe_probe:
            reader.rewind()
            continue
        taken.append(frame.t_s)
        if check(0, frame.t_s):
            pixels[frame.t_s] = frame.image_bgr
    assert taken == sorted(full)
    assert len(pixels) == 5  # 0.0, 3.7, 7.4, 11.1, 14.8 s
    assert reader.rewinds > 10  # quiet mode was entered again after each rewind
    for t, image in pixels.items():
        np.testing.assert_array_equal(image, full[t])


def test_while_quiet_only_keyframes_are_decoded(shared_video: Path) -> None:
    keyframes = scan_packets(shared_video).keyframe_t_s
    reader = QuietAwareFrames(shared_video, quiet=lambda: True)
    taken = _take(reader, rewind_on_probe=False)
    times = [t for t, _ in taken]
    assert times == sorted(times)
    probes = [t for t, probe in taken if probe]
    assert len(probes) >= len(keyframes) - 5
    assert set(probes) <= set(keyframes)
    # The start (until two keyframes are seen) and the frames after the last keyframe
    # are decoded in full, so that nothing at the end goes unseen.
    assert reader.frames_decoded < 200
    assert times[-1] == pytest.approx(139.3) == reader.last_t_s


def _moving_square(path: Path, n_frames: int, keyframe_every: int) -> Path:
    """A small 10 fps H.264 clip of a square moving across a grey field."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=10)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.gop_size = keyframe_every
        for i in range(n_frames):
            image = np.full((96, 160, 3), 120, np.uint8)
            image[30:60, 2 * i : 2 * i + 30] = 250
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_keyframes_far_apart_keep_every_frame_decoded(tmp_path: Path) -> None:
    clip = _moving_square(tmp_path / "long_gop.mp4", 65, keyframe_every=30)
    assert scan_packets(clip).keyframe_t_s == pytest.approx([0.0, 3.0, 6.0])
    reader = QuietAwareFrames(clip, quiet=lambda: True, max_keyframe_gap_s=2.0)
    taken = _take(reader, rewind_on_probe=False)
    assert not any(probe for _, probe in taken)
    assert [t for t, _ in taken] == [f.t_s for f in iter_frames(clip)]


def test_a_span_with_a_rewind_gives_the_frames_of_the_span(shared_video: Path) -> None:
    packets = scan_packets(shared_video)
    span = list(iter_span_frames(shared_video, 40.0, 55.0, packets.first_pts))
    reader = QuietAwareFrames(
        shared_video,
        quiet=lambda: True,
        t_begin_s=40.0,
        t_end_s=55.0,
        first_pts=packets.first_pts,
    )
    taken = []
    for frame in reader:
        if frame.keyframe_probe and 47.0 < frame.t_s < 49.0:
            reader.rewind()
            continue
        taken.append(frame.t_s)
    times = [f.t_s for f in span]
    assert taken[0] == times[0] == pytest.approx(40.0)
    assert set(taken) <= set(times)
    # After the rewind every frame from the last one used up to the probe came back.
    rewound = [t for t in times if 47.0 < t <= 48.0 + 1e-6]
    assert set(rewound) <= set(taken)
    assert taken == sorted(taken)
