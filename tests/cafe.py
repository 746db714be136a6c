"""The demo town's café camera, a few seconds of it: the footage the API flow and the
browser journeys both index (the patient walks up to the friend and stands with her)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cctrace.core.types import ImageBGR
from cctrace.sim.render import (
    CameraRenderer,
    CameraSpec,
    Recording,
    calibration_points,
    encode_h264,
    make_demo_scenario,
)

CAMERA = "cam-b"
SPAN_S = (94.0, 99.0)
"""Scenario seconds rendered."""


def cafe_camera() -> CameraSpec:
    """The café camera, narrowed and tilted so that faces are large enough at 1024x576."""
    scenario = make_demo_scenario(seed=7)
    return dataclasses.replace(
        scenario.camera(CAMERA), hfov_deg=40.0, tilt_deg=19.0, width_px=1024, height_px=576
    )


def cafe_camera_body() -> dict[str, object]:
    """The café camera as `POST /api/v1/cameras` takes it, with its floor calibration."""
    return {
        "camera_id": CAMERA,
        "name": "Market Square café",
        "site": "market",
        "x_m": 60.0,
        "y_m": 0.0,
        "calibration": calibration_points(cafe_camera()).to_json(),
    }


@dataclass(frozen=True)
class CafeClip:
    renderer: CameraRenderer
    fps: float
    start_utc: datetime
    """UTC time of the first frame."""

    def frames(self, seconds: float = SPAN_S[1] - SPAN_S[0]) -> Iterator[ImageBGR]:
        """The first ``seconds`` of the clip, rendered one by one (never all in memory)."""
        for i in range(math.floor(seconds * self.fps)):
            yield self.renderer.render(SPAN_S[0] + i / self.fps, i).image_bgr

    def write(
        self, path: Path, seconds: float = SPAN_S[1] - SPAN_S[0], tag: datetime | None = None
    ) -> None:
        """H.264 file of the first ``seconds``; ``tag``: its recorded creation time."""
        encode_h264(path, self.fps, self.renderer.camera.image_size_px, self.frames(seconds), tag)


def cafe_clip() -> CafeClip:
    scenario = make_demo_scenario(seed=7)
    scenario = dataclasses.replace(
        scenario, cameras=(cafe_camera(),), recordings=(Recording(CAMERA, *SPAN_S),)
    )
    return CafeClip(
        CameraRenderer(scenario, CAMERA),
        scenario.fps,
        scenario.start_utc + timedelta(seconds=SPAN_S[0]),
    )
