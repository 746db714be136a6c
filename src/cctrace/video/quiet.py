"""Keyframe-only decoding while the scene is quiet, full decoding from just after the last
frame used as soon as a keyframe shows a change.

Decoding every frame is most of the cost of footage where nobody is in view (1080p at
10 fps decodes at about 20x real time on this machine, and the motion gate then skips
almost every sample). A keyframe decodes on its own, so while the consumer says the scene
is quiet (``quiet()``: the motion gate would skip the next sample) only keyframes are
decoded, on a second, unthreaded decoder (a threaded one holds a frame back until more
packets arrive), and handed over as *probes* (``Frame.keyframe_probe``). If a probe
shows a change the consumer calls `QuietAwareFrames.rewind`: the file is sought back to
the keyframe at or before the last frame it used, and every frame after that one comes
again, fully decoded, so someone entering between two keyframes is seen from the sample
where they enter, as without this mode.

At the end of the file (or span) the frames after the last keyframe are decoded in
full, so that a change there is not missed.

What it misses: a change that starts and ends between two keyframes (someone crossing the
whole view in less than the keyframe interval). Quiet mode is therefore only entered
where the last two keyframes were at most ``max_keyframe_gap_s`` apart (CCTV encoders
default to a keyframe every 1-2 s; x264's default is 25 s at 10 fps, and such footage
keeps decoding every frame). A stretch without a keyframe for longer than that wakes it
(the frames since the last one used are decoded) until two close keyframes come again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from cctrace.core.errors import InputError
from cctrace.video.frames import Frame, _open

_NO_PIXELS = np.zeros((0, 0, 3), np.uint8)
_EPS_S = 1e-6


class QuietAwareFrames:
    """Frames of ``path`` from ``t_begin_s`` (a keyframe) to before ``t_end_s``, with the
    times `cctrace.video.frames.iter_frames` gives them (``first_pts``: the stream's
    first presentation time, from `cctrace.video.spans.scan_packets`; None: the first
    frame decoded). ``want(index, t_s)`` as in `iter_frames` (probes always carry pixels).

    ``quiet()`` is asked after each frame the consumer took; while it holds, only
    keyframes are decoded. A probe the consumer does not `rewind` on counts as used.
    Raises InputError naming the file on a decoding error part-way through.
    """

    def __init__(
        self,
        path: Path,
        *,
        quiet: Callable[[], bool],
        want: Callable[[int, float], bool] | None = None,
        t_begin_s: float = 0.0,
        t_end_s: float = math.inf,
        first_pts: int | None = None,
        max_keyframe_gap_s: float = 2.0,
    ) -> None:
        self.path = path
        self.quiet = quiet
        self.want = want
        self.t_begin_s = t_begin_s
        self.t_end_s = t_end_s
        self.first_pts = first_pts
        self.max_keyframe_gap_s = max_keyframe_gap_s
        self.last_t_s = -math.inf
        """Time of the last frame passed over, decoded or not (the end check of a file
        reads it: in quiet mode the last frame decoded may be a keyframe seconds before)."""
        self.frames_decoded = 0
        self.keyframes_probed = 0
        self.rewinds = 0
        self._rewind = False

    def rewind(self) -> None:
        """The probe just yielded showed a change: decode every frame after the last one
        used, from the keyframe before it."""
        self._rewind = True

    def __iter__(self) -> Iterator[Frame]:
        with _open(self.path) as container:
            try:
                yield from self._frames(container)
            except av.error.FFmpegError as exc:
                raise InputError(
                    f"{self.path}: decoding failed after {max(self.last_t_s, 0.0):.1f} s ({exc})"
                ) from None

    def _frames(self, container: av.container.InputContainer) -> Iterator[Frame]:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        decoder = stream.codec_context
        base = stream.time_base or Fraction(1, 1)
        probe_decoder: av.VideoCodecContext | None = None
        t_used = -math.inf  # the last frame the consumer took
        index_used = -1
        key_prev_t, key_last_t = -math.inf, -math.inf
        full_until_t = -math.inf  # after a rewind, full decoding at least up to the probe
        t_seen = -math.inf  # the latest frame read from the file (decoded or not)

        def seek(t_s: float) -> None:
            if t_s > 0 and self.first_pts is not None:
                target = self.first_pts + round(Fraction(t_s) / base)
                container.seek(target, stream=stream, backward=True, any_frame=False)
            elif t_s > 0:
                container.seek(0, stream=stream, backward=True, any_frame=False)
            decoder.flush_buffers()

        if self.t_begin_s > 0:
            seek(self.t_begin_s)
        while True:
            quiet_mode = False
            restart_at: float | None = None
            index = index_used + 1
            for packet in container.demux(stream):
                if packet.pts is not None and self._t(packet.pts, base) < self.t_end_s - _EPS_S:
                    t_seen = max(t_seen, self._t(packet.pts, base))
                if packet.pts is not None and packet.is_keyframe:
                    t_key = self._t(packet.pts, base)
                    if t_key > key_last_t + _EPS_S:  # not one seen again after a rewind
                        key_prev_t, key_last_t = key_last_t, t_key
                if quiet_mode:
                    if packet.pts is None:
                        continue  # the flushing packet: the main decoder holds nothing wanted
                    t_s = self._t(packet.pts, base)
                    if t_s >= self.t_end_s - _EPS_S:
                        break
                    self.last_t_s = max(self.last_t_s, t_s)
                    if not packet.is_keyframe:
                        index += 1
                        if t_s - key_last_t > self.max_keyframe_gap_s + _EPS_S:
                            # Too long without a keyframe: decode what was passed over, and
                            # stay in full mode until two close keyframes are seen again.
                            key_prev_t = -math.inf
                            restart_at = t_used
                            break
                        continue
                    if probe_decoder is None:
                        created = av.CodecContext.create(decoder.name, "r")
                        assert isinstance(created, av.VideoCodecContext)
                        created.extradata = decoder.extradata
                        probe_decoder = created
                    probed = [*probe_decoder.decode(packet), *probe_decoder.decode(None)]
                    probe_decoder.flush_buffers()
                    if not probed:
                        continue
                    self.frames_decoded += 1
                    self.keyframes_probed += 1
                    image = np.ascontiguousarray(probed[-1].to_ndarray(format="bgr24"), np.uint8)
                    yield Frame(index=index, t_s=t_s, image_bgr=image, keyframe_probe=True)
                    if self._rewind:
                        self._rewind = False
                        self.rewinds += 1
                        restart_at, full_until_t = t_used, t_s
                        break
                    t_used, index_used = t_s, index
                    index += 1
                    if not self.quiet():
                        restart_at = t_used
                        break
                    continue
                for frame in decoder.decode(packet):
                    pts = frame.pts if frame.pts is not None else frame.dts
                    if pts is None:
                        continue
                    if self.first_pts is None:
                        self.first_pts = pts
                    t_s = self._t(pts, base)
                    if t_s < self.t_begin_s - _EPS_S or t_s <= t_used + _EPS_S:
                        continue  # before the span, or already used before a rewind
                    if t_s >= self.t_end_s - _EPS_S:
                        return
                    self.frames_decoded += 1
                    self.last_t_s = max(self.last_t_s, t_s)
                    pixels = self.want is None or self.want(index, t_s)
                    image = (
                        np.ascontiguousarray(frame.to_ndarray(format="bgr24"), np.uint8)
                        if pixels
                        else _NO_PIXELS
                    )
                    yield Frame(index=index, t_s=t_s, image_bgr=image)
                    t_used, index_used = t_s, index
                    index += 1
                    if (
                        t_s >= full_until_t - _EPS_S
                        and key_last_t - key_prev_t <= self.max_keyframe_gap_s + _EPS_S
                        and self.quiet()
                    ):
                        # Frames the threaded decoder still holds are dropped: a rewind
                        # decodes them again from their keyframe.
                        quiet_mode = True
                        decoder.flush_buffers()
                        break
            if restart_at is None and quiet_mode and t_seen > t_used + _EPS_S:
                # The end came while quiet: the frames after the last keyframe were never
                # looked at, so decode them (one keyframe interval at most, once).
                restart_at, full_until_t = t_used, math.inf
            if restart_at is None:
                return
            seek(max(restart_at, self.t_begin_s))

    def _t(self, pts: int, base: Fraction) -> float:
        return float((pts - (self.first_pts or 0)) * base)
