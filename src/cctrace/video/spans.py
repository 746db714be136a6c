"""Spans of a video that start at a keyframe, decoded on their own (segments in parallel).

`scan_packets` reads the container's packet headers only (no decoding: about 1% of the
cost of decoding) for the presentation time of every frame and which frames are
keyframes; `iter_span_frames` seeks to a span's keyframe and yields the frames of the span
with the same times `cctrace.video.frames.iter_frames` gives them over the whole file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from cctrace.core.errors import InputError
from cctrace.video.frames import Frame, _open

_NO_PIXELS = np.zeros((0, 0, 3), np.uint8)
_EPS_S = 1e-6


@dataclass(frozen=True)
class PacketTimes:
    """Every frame's presentation time ``frame_t_s`` (N,) in seconds from the first frame,
    sorted, and the keyframes' times ``keyframe_t_s``; ``first_pts`` in stream units."""

    first_pts: int
    frame_t_s: list[float]
    keyframe_t_s: list[float]


@dataclass(frozen=True)
class FrameSpan:
    """Frames with ``t_begin_s <= t < t_end_s`` of one video; ``t_begin_s`` is a keyframe.

    ``first_bin``: the first sample bin (``floor(t * sample_fps)``) this span owns; a bin
    whose first frame lies in the span before it belongs to the span before."""

    index: int
    t_begin_s: float
    t_end_s: float
    first_pts: int
    first_bin: int
    t_lead_s: float | None = None
    """Where decoding starts when the span warms its tracker on the seconds before its
    first frame (a keyframe at or before ``t_begin_s``); None: no lead."""
    lead_first_bin: int | None = None
    """The first sample bin the lead analyses (its results are not the span's)."""


def scan_packets(path: Path) -> PacketTimes:
    """Frame and keyframe times from the packet headers; InputError naming the file."""
    with _open(path) as container:
        stream = container.streams.video[0]
        pts: list[int] = []
        key: list[int] = []
        try:
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue  # the flushing packet at the end
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    key.append(int(packet.pts))
        except av.error.FFmpegError as exc:
            raise InputError(f"{path}: reading the packets failed ({exc})") from None
        base = stream.time_base or Fraction(1, 1)
    if not pts:
        raise InputError(f"{path}: the video stream holds no frame")
    first = min(pts)
    return PacketTimes(
        first_pts=first,
        frame_t_s=sorted(float((p - first) * base) for p in pts),
        keyframe_t_s=sorted(float((p - first) * base) for p in key),
    )


def iter_span_frames(
    path: Path,
    t_begin_s: float,
    t_end_s: float,
    first_pts: int,
    want: Callable[[int, float], bool] | None = None,
) -> Iterator[Frame]:
    """The frames of one span, as `iter_frames` yields them (``index`` counts from the
    span's first frame). ``want`` as in `iter_frames`."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = stream.time_base or Fraction(1, 1)
        if t_begin_s > 0:
            target = first_pts + round(Fraction(t_begin_s) / base)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        index = 0
        try:
            for frame in container.decode(stream):
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None:
                    continue
                t_s = float((pts - first_pts) * base)
                if t_s < t_begin_s - _EPS_S:
                    continue  # the seek landed on an earlier keyframe
                if t_s >= t_end_s - _EPS_S:
                    break
                image = (
                    np.ascontiguousarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                    if want is None or want(index, t_s)
                    else _NO_PIXELS
                )
                yield Frame(index=index, t_s=t_s, image_bgr=image)
                index += 1
        except av.error.FFmpegError as exc:
            raise InputError(
                f"{path}: decoding failed at {t_begin_s:.1f} s + frame {index} ({exc})"
            ) from None
