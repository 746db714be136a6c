"""The pinhole cameras of the demo town and the floor points a surveyor would measure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from cctrace.sim.render.base import DEFAULT_SIZE_PX, F64


@dataclass(frozen=True)
class CameraSpec:
    """A fixed pinhole camera over the town's ground plane.

    ``yaw_deg``: the direction it looks on the site plan, counter-clockwise from east
    (+x); ``tilt_deg``: downward tilt from horizontal; ``hfov_deg``: horizontal field of
    view. Principal point at the image centre, square pixels, no lens distortion.
    """

    camera_id: str
    name: str
    site: str
    position_xy_m: tuple[float, float]
    height_m: float
    yaw_deg: float
    tilt_deg: float
    hfov_deg: float
    width_px: int = DEFAULT_SIZE_PX[0]
    height_px: int = DEFAULT_SIZE_PX[1]

    @property
    def image_size_px(self) -> tuple[int, int]:
        return (self.width_px, self.height_px)

    @cached_property
    def f_px(self) -> float:
        return (self.width_px / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @cached_property
    def centre_xyz_m(self) -> F64:
        return np.array([*self.position_xy_m, self.height_m], dtype=np.float64)

    @cached_property
    def rotation(self) -> F64:
        """(3, 3) world -> camera; rows are the camera's right, down and forward axes."""
        yaw, tilt = math.radians(self.yaw_deg), math.radians(self.tilt_deg)
        forward = np.array(
            [math.cos(yaw) * math.cos(tilt), math.sin(yaw) * math.cos(tilt), -math.sin(tilt)]
        )
        right = np.array([math.sin(yaw), -math.cos(yaw), 0.0])
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def to_camera(self, world_xyz_m: ArrayLike) -> F64:
        """(N, 3) world metres -> (N, 3) camera metres (x right, y down, z depth)."""
        p = np.asarray(world_xyz_m, dtype=np.float64).reshape(-1, 3)
        return np.asarray((p - self.centre_xyz_m) @ self.rotation.T, dtype=np.float64)

    def project(self, world_xyz_m: ArrayLike) -> tuple[F64, F64]:
        """(N, 3) world metres -> pixels (N, 2) and depth (N,) metres; points less than
        5 cm in front of the camera come back NaN."""
        cam = self.to_camera(world_xyz_m)
        depth = cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = self.f_px * cam[:, :2] / depth[:, None] + np.array(
                [self.width_px / 2, self.height_px / 2]
            )
        uv[depth < 0.05] = np.nan
        return uv, depth

    def floor_to_image(self, floor_xy_m: ArrayLike) -> F64:
        """(N, 2) floor metres -> (N, 2) pixels."""
        xy = np.asarray(floor_xy_m, dtype=np.float64).reshape(-1, 2)
        return self.project(np.column_stack([xy, np.zeros(len(xy))]))[0]

    def image_to_floor(self, image_xy_px: ArrayLike) -> F64:
        """(N, 2) pixels -> (N, 2) floor metres; pixels at or above the horizon are NaN."""
        uv = np.asarray(image_xy_px, dtype=np.float64).reshape(-1, 2)
        rays = self._rays(uv)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(rays[:, 2] < 0, -self.height_m / rays[:, 2], np.nan)
        return np.asarray(self.centre_xyz_m[:2] + t[:, None] * rays[:, :2], dtype=np.float64)

    def _rays(self, uv: F64) -> F64:
        """World-frame ray directions (N, 3) through pixel centres (N, 2)."""
        x = (uv[:, 0] - self.width_px / 2) / self.f_px
        y = (uv[:, 1] - self.height_px / 2) / self.f_px
        cam = np.stack([x, y, np.ones_like(x)], axis=1)
        return np.asarray(cam @ self.rotation, dtype=np.float64)


@dataclass(frozen=True)
class CalibrationPoints:
    """Image <-> floor correspondences of one camera, as a surveyor would hand them over.

    image_xy_px: (N, 2) pixels; floor_xy_m: (N, 2) site-plan metres; image_size_px:
    (width, height) of the video they belong to.
    """

    image_xy_px: F64
    floor_xy_m: F64
    image_size_px: tuple[int, int]

    def to_json(self) -> dict[str, object]:
        """The calibration file format of docs/calibration.md."""
        return {
            "points": [
                {"image": [float(u), float(v)], "floor": [float(x), float(y)]}
                for (u, v), (x, y) in zip(self.image_xy_px, self.floor_xy_m, strict=True)
            ],
            "image_size": list(self.image_size_px),
        }


def calibration_points(camera: CameraSpec, max_depth_m: float = 22.0) -> CalibrationPoints:
    """Nine floor points spread over the visible floor (3 depths x 3 columns), projected
    through the true camera and rounded to 0.1 px like clicked points.

    The nearest row sits just above the image's bottom edge, the farthest at
    ``max_depth_m`` or where the floor meets the top of the image.
    """
    w, h = camera.image_size_px
    margin = 0.06
    # Depth along the floor where image rows meet it; the farthest clamped to max_depth_m.
    rows_v = np.array([h * (1 - margin), h * 0.62, h * 0.3])
    centre_col = np.column_stack([np.full(3, w / 2), rows_v])
    floor_centre = camera.image_to_floor(centre_col)
    cam_xy = np.asarray(camera.position_xy_m)
    yaw = math.radians(camera.yaw_deg)
    forward = np.array([math.cos(yaw), math.sin(yaw)])
    depths = (floor_centre - cam_xy) @ forward
    depths = np.where(np.isfinite(depths), depths, max_depth_m)
    depths = np.minimum(depths, max_depth_m)
    image_pts, floor_pts = [], []
    for depth in depths:
        centre_uv = camera.floor_to_image(cam_xy + depth * forward)[0]
        for frac in (-0.8, 0.0, 0.8):
            uv = np.array([[w / 2 + frac * (w / 2) * (1 - margin), centre_uv[1]]])
            xy = camera.image_to_floor(uv)[0]
            image_pts.append(np.round(camera.floor_to_image(xy)[0], 1))
            floor_pts.append(np.round(xy, 3))
    return CalibrationPoints(
        np.asarray(image_pts, np.float64), np.asarray(floor_pts, np.float64), (w, h)
    )
