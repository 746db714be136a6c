"""A synthetic pinhole camera over a floor, the ground truth for geometry tests.

World frame: X right, Y forward, Z up, metres; the floor is Z = 0 and the camera sits at
(0, 0, height_m) looking along +Y, tilted down by ``tilt_deg``. Image: u right, v down,
pixels, principal point at the centre, no lens distortion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class PinholeCamera:
    width_px: int = 1920
    height_px: int = 1080
    hfov_deg: float = 70.0
    height_m: float = 4.0
    tilt_deg: float = 30.0

    @property
    def image_size_px(self) -> tuple[int, int]:
        return (self.width_px, self.height_px)

    @property
    def f_px(self) -> float:
        return (self.width_px / 2) / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def intrinsics(self) -> F64:
        return np.array(
            [[self.f_px, 0, self.width_px / 2], [0, self.f_px, self.height_px / 2], [0, 0, 1]]
        )

    @property
    def rotation(self) -> F64:
        """(3, 3) world -> camera; rows are the camera's x (right), y (down), z (forward)."""
        t = math.radians(self.tilt_deg)
        return np.array(
            [[1.0, 0.0, 0.0], [0.0, -math.sin(t), -math.cos(t)], [0.0, math.cos(t), -math.sin(t)]]
        )

    def project(self, world_xyz: ArrayLike) -> F64:
        """(N, 3) world metres -> (N, 2) pixels (points must be in front of the camera)."""
        p = np.asarray(world_xyz, dtype=np.float64).reshape(-1, 3)
        cam = (p - np.array([0.0, 0.0, self.height_m])) @ self.rotation.T
        assert (cam[:, 2] > 0).all(), "point behind the camera"
        uvw = cam @ self.intrinsics.T
        return np.asarray(uvw[:, :2] / uvw[:, 2:3], dtype=np.float64)

    def floor_to_image(self, floor_xy_m: ArrayLike) -> F64:
        """(N, 2) floor metres -> (N, 2) pixels."""
        xy = np.asarray(floor_xy_m, dtype=np.float64).reshape(-1, 2)
        return self.project(np.column_stack([xy, np.zeros(len(xy))]))

    def person_box_xyxy(
        self, floor_xy_m: ArrayLike, person_height_m: float = 1.7, width_m: float = 0.5
    ) -> F64:
        """(N, 4) pixel box of upright people standing at (N, 2) floor points: the
        bounding box of a vertical (width_m x person_height_m) rectangle facing the camera."""
        xy = np.asarray(floor_xy_m, dtype=np.float64).reshape(-1, 2)
        corners = []
        for dx in (-width_m / 2, width_m / 2):
            for z in (0.0, person_height_m):
                corners.append(
                    self.project(np.column_stack([xy[:, 0] + dx, xy[:, 1], np.full(len(xy), z)]))
                )
        stack = np.stack(corners, axis=1)  # (N, 4 corners, 2)
        return np.concatenate([stack.min(axis=1), stack.max(axis=1)], axis=1)
