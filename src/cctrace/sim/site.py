"""The simulated site: places on a grid, each split among side-by-side cameras, each
camera a calibrated pinhole looking down at its floor rectangle."""

from __future__ import annotations

import math

import numpy as np

from cctrace.geometry.calibration import Calibration, fit_calibration
from cctrace.sim.world import (
    CAMERA_VIEW_W_M,
    IMAGE_SIZE_PX,
    PLACE_DEPTH_M,
    PLACE_KINDS,
    PLACE_SPACING_M,
    Place,
    SimCamera,
)


def build_site(n_cameras: int, seed: int) -> tuple[tuple[Place, ...], tuple[SimCamera, ...]]:
    """Places on a grid and their calibrated cameras (ids ``sim-<seed>-cam-NNN``)."""
    n_places = max(1, math.ceil(n_cameras / 2))
    per_place = [len(range(p, n_cameras, n_places)) for p in range(n_places)]
    cols = math.ceil(math.sqrt(n_places))
    places: list[Place] = []
    cameras: list[SimCamera] = []
    cam_no = 0
    for p in range(n_places):
        kind = PLACE_KINDS[p % len(PLACE_KINDS)]
        name = f"{kind}-{p + 1}"
        x0 = (p % cols) * PLACE_SPACING_M
        y0 = (p // cols) * PLACE_SPACING_M
        ids = []
        for j in range(per_place[p]):
            cid = f"sim{seed}-cam-{cam_no:03d}"
            cam_no += 1
            ids.append(cid)
            view = (
                x0 + j * CAMERA_VIEW_W_M,
                y0,
                x0 + (j + 1) * CAMERA_VIEW_W_M,
                y0 + PLACE_DEPTH_M,
            )
            # The views of one place share its floor plan (site metres): contacts are
            # measured across them, as a site would calibrate one open space.
            cam_xy, calibration = pinhole_calibration(view, floor_frame=name)
            cameras.append(
                SimCamera(
                    cid, f"{name} camera {j + 1}", name, cam_xy[0], cam_xy[1], view, calibration
                )
            )
        places.append(
            Place(name, kind, x0, y0, per_place[p] * CAMERA_VIEW_W_M, PLACE_DEPTH_M, tuple(ids))
        )
    return tuple(places), tuple(cameras)


def pinhole_calibration(
    view_xyxy_m: tuple[float, float, float, float],
    height_m: float = 4.0,
    setback_m: float = 4.0,
    tilt_deg: float = 30.0,
    hfov_deg: float = 90.0,
    floor_frame: str | None = None,
) -> tuple[tuple[float, float], Calibration]:
    """A camera ``height_m`` up, ``setback_m`` in front of the view's near edge (lower y),
    looking along +y: its site position and the calibration fitted from six floor points
    (a 3 x 2 grid inside the view) projected into a 1920 x 1080 image."""
    x0, y0, x1, y1 = view_xyxy_m
    cam = np.array([(x0 + x1) / 2, y0 - setback_m, height_m])
    w, h = IMAGE_SIZE_PX
    f = (w / 2) / math.tan(math.radians(hfov_deg) / 2)
    t = math.radians(tilt_deg)
    rot = np.array(
        [[1.0, 0.0, 0.0], [0.0, -math.sin(t), -math.cos(t)], [0.0, math.cos(t), -math.sin(t)]]
    )
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    gx = np.linspace(x0 + 1.0, x1 - 1.0, 3)
    gy = np.array([y0 + 1.0, y1 - 1.0])
    floor = np.array([(x, y) for y in gy for x in gx])
    world = np.column_stack([floor, np.zeros(len(floor))])
    uvw = ((world - cam) @ rot.T) @ k.T
    image = uvw[:, :2] / uvw[:, 2:3]
    calibration = fit_calibration(
        image, floor, image_size_px=IMAGE_SIZE_PX, source="sim camera", floor_frame=floor_frame
    )
    return (float(cam[0]), float(cam[1])), calibration
