"""Cutting clips out of a video and re-encoding them with chosen presentation times.

Used by the tests and benchmarks (short clips, variable frame rate, upscaled 1080p)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from cctrace.core.types import ImageBGR
from cctrace.video.frames import iter_frames


def make_clip(
    source: Path,
    out: Path,
    first_frame: int,
    last_frame: int,
    times_s: list[float] | None = None,
    codec: str = "libx264",
    scale_to: tuple[int, int] | None = None,
    creation_time: str | None = None,
    keyframe_every: int | None = None,
) -> Path:
    """Frames [first_frame, last_frame) of ``source`` as a new file.

    ``times_s`` gives each frame's presentation time (variable frame rate); by default
    the source's 10 fps spacing is kept. ``keyframe_every``: frames between keyframes
    (the encoder's default otherwise, 250 for x264).
    """
    frames = [f.image_bgr for f in iter_frames(source) if first_frame <= f.index < last_frame]
    if scale_to is not None:
        import cv2

        frames = [cv2.resize(im, scale_to, interpolation=cv2.INTER_LINEAR) for im in frames]
    if times_s is not None and len(times_s) != len(frames):
        raise ValueError(f"{len(times_s)} times for {len(frames)} frames")
    return write_clip(out, frames, times_s, codec, creation_time, keyframe_every)


def write_clip(
    out: Path,
    frames: Iterable[ImageBGR],
    times_s: Sequence[float] | None = None,
    codec: str = "libx264",
    creation_time: str | None = None,
    keyframe_every: int | None = None,
) -> Path:
    """``frames`` (BGR, all of one size; read one at a time, so a generator keeps a long
    clip out of memory) encoded as ``out`` at a nominal 10 fps on a millisecond time base;
    ``times_s`` gives each frame's presentation time (default: ``i / 10``).
    ``keyframe_every``: frames between keyframes (the encoder's default otherwise)."""
    images = iter(frames)
    first = next(images)
    times = iter(times_s) if times_s is not None else (i / 10 for i in itertools.count())
    time_base = Fraction(1, 1000)
    with av.open(str(out), mode="w") as container:
        if creation_time:
            container.metadata["creation_time"] = creation_time
        stream = container.add_stream(codec, rate=10)
        assert isinstance(stream, av.VideoStream)
        h, w = first.shape[:2]
        stream.width, stream.height = w, h
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if keyframe_every is not None:
            stream.codec_context.gop_size = keyframe_every
        for image in itertools.chain([first], images):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            frame.pts = round(next(times) * 1000)
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out
