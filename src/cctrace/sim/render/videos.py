"""The rendered frames encoded as H.264 files with presentation times and calibrations."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

from cctrace.core.types import ImageBGR
from cctrace.sim.render.cameras import CalibrationPoints, calibration_points
from cctrace.sim.render.frames import CameraRenderer
from cctrace.sim.render.scenario import DemoScenario


@dataclass(frozen=True)
class RenderedVideo:
    camera_id: str
    path: Path
    start_utc: datetime
    """Wall-clock time of the first frame (also in the file's ``creation_time`` tag)."""
    duration_s: float
    frame_count: int
    calibration_points: CalibrationPoints
    render_s: float
    """Seconds it took to render and encode."""


def encode_h264(
    path: Path,
    fps: float,
    size_px: tuple[int, int],
    frames: Iterable[ImageBGR],
    creation_time: datetime | None = None,
) -> None:
    """Write BGR ``frames`` of ``size_px`` (width, height) as an H.264 mp4 at ``path``:
    frame ``i`` is presented at ``i / fps`` seconds (millisecond time base), and
    ``creation_time`` goes into the file's tag."""
    import av

    time_base = Fraction(1, 1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        if creation_time is not None:
            container.metadata["creation_time"] = creation_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stream = container.add_stream(
            "libx264",
            rate=Fraction(fps).limit_denominator(1000),
            options={"preset": "veryfast", "crf": "24", "g": str(round(fps * 4))},
        )
        stream.width, stream.height = size_px
        stream.pix_fmt = "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        for i, image in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(image, format="bgr24")
            vf.pts = round(i / fps * 1000)
            vf.time_base = time_base
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def render_video(
    scenario: DemoScenario,
    camera_id: str,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> RenderedVideo:
    """One camera's recording as an H.264 mp4 at ``path``; frame ``i`` is presented at
    ``i / fps`` seconds (millisecond time base)."""

    t0 = time.perf_counter()
    renderer = CameraRenderer(scenario, camera_id)
    rec = scenario.recording(camera_id)
    n_frames = math.floor((rec.t_end_s - rec.t_start_s) * scenario.fps)
    start_utc = scenario.start_utc + timedelta(seconds=rec.t_start_s)

    def frames() -> Iterator[ImageBGR]:
        for i in range(n_frames):
            yield renderer.render(rec.t_start_s + i / scenario.fps, i).image_bgr
            if progress is not None:
                progress(i + 1, n_frames)

    encode_h264(path, scenario.fps, renderer.camera.image_size_px, frames(), start_utc)
    return RenderedVideo(
        camera_id,
        path,
        start_utc,
        n_frames / scenario.fps,
        n_frames,
        calibration_points(renderer.camera),
        time.perf_counter() - t0,
    )


def render_videos(
    scenario: DemoScenario,
    out_dir: Path,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int = 1,
) -> list[RenderedVideo]:
    """Every camera's recording as ``out_dir/<camera_id>.mp4``, in camera order.

    ``workers`` > 1 renders cameras in parallel processes (one camera per process; the
    result is identical). ``progress(camera_id, frames_done, frames_total)`` is called
    after every frame with one worker, once per finished video with several."""
    paths = [out_dir / f"{cam.camera_id}.mp4" for cam in scenario.cameras]
    if workers > 1 and len(scenario.cameras) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": a forked child would inherit the parent's thread pools (ONNX Runtime,
        # OpenCV) in whatever state they were, a known source of deadlocks.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(paths)), mp_context=context) as pool:
            futures = [
                pool.submit(render_video, scenario, cam.camera_id, path)
                for cam, path in zip(scenario.cameras, paths, strict=True)
            ]
            videos = []
            for future in futures:
                video = future.result()
                if progress is not None:
                    progress(video.camera_id, video.frame_count, video.frame_count)
                videos.append(video)
            return videos
    videos = []
    for cam, path in zip(scenario.cameras, paths, strict=True):
        cb: Callable[[int, int], None] | None = None
        if progress is not None:
            cb = functools.partial(progress, cam.camera_id)
        videos.append(render_video(scenario, cam.camera_id, path, cb))
    return videos
