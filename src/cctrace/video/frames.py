"""Decoding video with PyAV (FFmpeg), with each frame's time from the container.

Times come from the presentation timestamps, not from frame index / nominal fps, so
variable-frame-rate footage gets correct times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import ImageBGR

_NO_PIXELS: ImageBGR = np.zeros((0, 0, 3), np.uint8)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".ts", ".mpg", ".mpeg")


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: float
    """Average frame rate the container declares (frames per second)."""
    frame_count: int | None
    duration_s: float | None
    codec: str
    creation_time: datetime | None = None
    """The container's ``creation_time`` tag (UTC), when the recorder wrote one."""


def _creation_time(tags: dict[str, str]) -> datetime | None:
    raw = tags.get("creation_time")
    if not raw:
        return None
    try:
        t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    # Encoders write 1970-01-01 or 1904-01-01 when they do not know the time.
    return None if t.year < 1990 else t.astimezone(UTC)


@dataclass(frozen=True)
class Frame:
    index: int
    """Position of the frame in decode order, from 0."""
    t_s: float
    """Presentation time in seconds from the start of the stream."""
    image_bgr: ImageBGR
    keyframe_probe: bool = False
    """A keyframe decoded alone while the scene was quiet (`cctrace.video.quiet`): the
    frames before it since the last one used were not decoded."""


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise InputError(f"{path}: no such video file; check the path")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable video ({exc}); give an mp4, avi or mkv") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: the file has no video stream")
    return container


def probe(path: Path) -> VideoInfo:
    """Read the container header. Raises InputError naming the file if it is not video."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        duration_s = None
        if stream.duration is not None and stream.time_base is not None:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration_s = container.duration / 1_000_000
        return VideoInfo(
            path=path,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=float(rate) if rate else 0.0,
            frame_count=stream.frames or None,
            duration_s=duration_s,
            codec=stream.codec_context.name,
            creation_time=_creation_time({**container.metadata, **stream.metadata}),
        )


def iter_frames(
    path: Path, every_n: int = 1, want: Callable[[int, float], bool] | None = None
) -> Iterator[Frame]:
    """Yield every ``every_n``-th decoded frame as BGR with its presentation time.

    ``want(index, t_s)``, if given, picks the frames to convert to pixels; the others
    are still yielded (their times count) but with an empty image, which saves the
    colour conversion of frames nobody looks at.
    Raises InputError naming the file on a decoding error part-way through.
    """
    if every_n < 1:
        raise InputError(f"every_n must be at least 1, got {every_n}")
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first_pts: int | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is not None and first_pts is None:
                    first_pts = pts
                if index % every_n == 0:
                    t_s = (
                        float((pts - (first_pts or 0)) * stream.time_base)
                        if pts is not None and stream.time_base is not None
                        else float("nan")
                    )
                    if want is None or want(index, t_s):
                        image = np.ascontiguousarray(
                            frame.to_ndarray(format="bgr24"), dtype=np.uint8
                        )
                    else:
                        image = _NO_PIXELS
                    yield Frame(index=index, t_s=t_s, image_bgr=image)
                index += 1
        except av.error.FFmpegError as exc:
            raise InputError(f"{path}: decoding failed at frame {index} ({exc})") from None
        if index == 0:
            raise InputError(f"{path}: the video stream holds no decodable frame")
