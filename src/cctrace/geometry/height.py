"""Floor positions of people: from the homography when calibrated, else from box height.

Uncalibrated cameras fall back on a pinhole model: a standing adult is about
``person_height_m`` = 1.7 m tall, so for a level camera a box ``h`` pixels high is at
``y_m = f_px * person_height_m / h`` along the optical axis and ``x_m = (u - cx) * y_m /
f_px`` to its side, with ``f_px = (width / 2) / tan(hfov / 2)``. The result is in a
camera-relative floor frame: x to the right of the camera's heading, y forward, metres.
When the camera's downward tilt is known, :func:`height_model_floor_xy` uses it (the
same similar-triangles argument on the rays to head and feet); the default, 0°, is the
level model above.

It is exact for a camera of known tilt and field of view, an upright person of exactly
that height and an uncut box. Error model (what makes the figure approximate; the
numbers are measured in tests/geometry/test_height.py and docs/calibration.md):

- Person height: distance scales with 1 / true height, so a 1.53 m person (-10%) is
  placed 11% too far and a 1.87 m person (+10%) 9% too near; a child (1.1 m) is placed
  55% too far, a seated person (about 1.3 m box) 31% too far.
- Field of view: distance scales with ``f_px``. 70° is the middle of what fixed CCTV
  lenses cover (a 4 mm lens on a 1/2.7" sensor is about 70°, 2.8 mm about 100°, 6 mm
  about 50°); a 90° camera estimated as 70° is placed 43% too far, a 60° one 18% too
  near. Set the real figure per camera when it is known.
- Tilt: CCTV looks down, and a tilted camera sees nearby people foreshortened (from
  above), so the level model places them too far: for a camera 4 m up tilted 30°, by
  about 92% at 3 m, 27% at 6 m and 5% at 10 m (tilted 10°: 16% at 6 m, 8% at 10 m).
  A known tilt removes this (below 1% in the tests); an unknown one is the largest
  error for people close to the camera.
- Truncation: a box cut by the top or bottom frame edge is shorter than the person and
  puts them too far away; such boxes are flagged ``truncated``. Boxes cut at the left or
  right edge keep their height and are not flagged.

Distances between two people in the same camera inherit the same scale error, which is
why every such figure is flagged ``approximate`` downstream. The stature and truncation
errors are per person, so they also move two people standing side by side apart along
the axis (a 1.62 m and a 1.80 m person 11 m away: about 1.1 m); the trace removes them
by re-placing a stay's people on the camera's own line of box height against foot row
(`cctrace.geometry.row_scale`), which keeps the field-of-view and tilt errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cctrace.core.errors import InputError
from cctrace.geometry.calibration import (
    Calibration,
    foot_point_xy,
    image_to_floor,
    rescale_calibration,
)

F64 = NDArray[np.float64]

DEFAULT_PERSON_HEIGHT_M = 1.7
DEFAULT_HFOV_DEG = 70.0
DEFAULT_TILT_DEG = 0.0
"""Level camera: the model as specified; set the real downward tilt per camera when the
site survey knows it (see the error model above for what an unknown tilt costs)."""
EDGE_MARGIN_PX = 2.0
"""Boxes within 2 px of an edge count as touching it: detectors rarely place a box edge
exactly on the border of a cut-off person."""


@dataclass(frozen=True)
class FloorEstimate:
    """Floor positions of N boxes.

    floor_xy_m: (N, 2) float64 metres, in the calibration's floor frame or, when
    ``approximate``, in the camera-relative frame of the height model (x right, y
    forward); NaN where no position exists (a degenerate box, a foot above the horizon).
    approximate: True when estimated from box height instead of a calibration.
    truncated: (N,) bool, the box is cut by a frame edge that the method depends on
    (bottom edge with a calibration, top or bottom edge for the height model).
    """

    floor_xy_m: F64
    approximate: bool
    truncated: NDArray[np.bool_]

    def __post_init__(self) -> None:
        xy = np.asarray(self.floor_xy_m, dtype=np.float64).reshape(-1, 2)
        truncated = np.asarray(self.truncated, dtype=bool).reshape(-1)
        if len(truncated) != len(xy):
            raise ValueError(f"floor_xy_m has {len(xy)} rows but truncated {len(truncated)}")
        object.__setattr__(self, "floor_xy_m", xy)
        object.__setattr__(self, "truncated", truncated)

    def __len__(self) -> int:
        return len(self.floor_xy_m)


def focal_length_px(image_width_px: float, hfov_deg: float = DEFAULT_HFOV_DEG) -> float:
    """Pinhole focal length in pixels of an image ``image_width_px`` wide with the
    given horizontal field of view in degrees."""
    if not 0.0 < hfov_deg < 180.0:
        raise InputError(f"horizontal field of view must be in (0, 180) degrees, got {hfov_deg}")
    return (image_width_px / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)


def touches_edge(
    box_xyxy: ArrayLike,
    image_size_px: tuple[int, int],
    *,
    top: bool = True,
    bottom: bool = True,
    margin_px: float = EDGE_MARGIN_PX,
) -> NDArray[np.bool_]:
    """(N,) bool: the (N, 4) pixel box reaches the top and/or bottom frame edge."""
    box = np.asarray(box_xyxy, dtype=np.float64).reshape(-1, 4)
    _, height = image_size_px
    out = np.zeros(len(box), dtype=bool)
    if top:
        out |= box[:, 1] <= margin_px
    if bottom:
        out |= box[:, 3] >= height - margin_px
    return out


def height_model_floor_xy(
    box_xyxy: ArrayLike,
    image_size_px: tuple[int, int],
    *,
    person_height_m: float = DEFAULT_PERSON_HEIGHT_M,
    hfov_deg: float = DEFAULT_HFOV_DEG,
    tilt_deg: float = DEFAULT_TILT_DEG,
) -> F64:
    """Camera-relative floor positions (N, 2) metres of (N, 4) person boxes in pixels.

    x_m: right of the camera's heading; y_m: forward along it, both horizontal.
    Boxes with no height give NaN. The principal point is assumed at the image centre
    (true for CCTV within a few pixels) and pixels square.

    The rays through the box's bottom-centre (feet) and top-centre (head) leave the
    camera at depression angles a_f and a_h below the horizontal; an upright person at
    horizontal distance D spans ``person_height_m = D * (tan a_f - tan a_h)``, so
    ``D = person_height_m / (tan a_f - tan a_h)`` whatever the camera's height. With
    ``tilt_deg = 0`` this is exactly ``y_m = f_px * person_height_m / box_height_px`` and
    ``x_m = (u_center - cx) * y_m / f_px``; a known downward tilt removes the
    foreshortening error that the level model makes for people near a tilted camera.
    """
    if not person_height_m > 0:
        raise InputError(f"person height must be positive, got {person_height_m} m")
    if not -90.0 < tilt_deg < 90.0:
        raise InputError(f"camera tilt must be in (-90, 90) degrees, got {tilt_deg}")
    box = np.asarray(box_xyxy, dtype=np.float64).reshape(-1, 4)
    width, height = image_size_px
    f_px = focal_length_px(width, hfov_deg)
    sin_t, cos_t = math.sin(math.radians(tilt_deg)), math.cos(math.radians(tilt_deg))
    # Normalised image coordinates (camera frame: x right, y down, z forward).
    dx_center = ((box[:, 0] + box[:, 2]) / 2.0 - width / 2.0) / f_px
    dy_foot = (box[:, 3] - height / 2.0) / f_px
    dy_head = (box[:, 1] - height / 2.0) / f_px
    # A tilted camera sees verticals converge towards the nadir, so feet and head of a
    # person off the image centre are not in the box's centre column. The box centre is
    # about halfway between them; place both on the line through the vertical vanishing
    # point (image y = cot(tilt), in normalised units), written without dividing by
    # sin(tilt) so that a level camera (parallel verticals) needs no special case.
    to_vanishing_foot = dy_foot * sin_t - cos_t
    to_vanishing_head = dy_head * sin_t - cos_t
    to_vanishing_mid = (to_vanishing_foot + to_vanishing_head) / 2.0
    dx_foot = dx_center * to_vanishing_foot / to_vanishing_mid
    dx_head = dx_center * to_vanishing_head / to_vanishing_mid

    def depression_tan(dx: F64, dy: F64) -> F64:
        # The ray (dx, dy, 1) in a camera tilted down by tilt points, in the world,
        # dx to the right, cos - sin * dy forward and cos * dy + sin down.
        forward = cos_t - sin_t * dy
        return np.asarray((cos_t * dy + sin_t) / np.hypot(dx, forward), dtype=np.float64)

    span = depression_tan(dx_foot, dy_foot) - depression_tan(dx_head, dy_head)
    distance_m = np.full(len(box), np.nan)
    ok = (box[:, 3] > box[:, 1]) & (span > 0)
    distance_m[ok] = person_height_m / span[ok]
    forward_foot = cos_t - sin_t * dy_foot
    heading = np.hypot(dx_foot, forward_foot)
    return np.stack([dx_foot / heading * distance_m, forward_foot / heading * distance_m], axis=1)


def floor_positions(
    box_xyxy: ArrayLike,
    image_size_px: tuple[int, int],
    calibration: Calibration | None,
    *,
    person_height_m: float = DEFAULT_PERSON_HEIGHT_M,
    hfov_deg: float = DEFAULT_HFOV_DEG,
    tilt_deg: float = DEFAULT_TILT_DEG,
) -> FloorEstimate:
    """Floor positions of (N, 4) person boxes in a frame of ``image_size_px`` (w, h).

    With a calibration: the homography image of each box's foot point (exact up to the
    calibration error; the calibration is rescaled when the stream has another
    resolution of the same aspect). Without: the height model above, flagged approximate.
    """
    box = np.asarray(box_xyxy, dtype=np.float64).reshape(-1, 4)
    width, height = image_size_px
    if width <= 0 or height <= 0:
        raise InputError(f"image size must be positive, got {width}x{height}")
    if calibration is not None:
        calibration = rescale_calibration(calibration, (width, height))
        # Only the foot point is used, so only a cut at the bottom edge matters.
        return FloorEstimate(
            floor_xy_m=image_to_floor(calibration, foot_point_xy(box)),
            approximate=False,
            truncated=touches_edge(box, image_size_px, top=False),
        )
    return FloorEstimate(
        floor_xy_m=height_model_floor_xy(
            box,
            image_size_px,
            person_height_m=person_height_m,
            hfov_deg=hfov_deg,
            tilt_deg=tilt_deg,
        ),
        approximate=True,
        truncated=touches_edge(box, image_size_px),
    )
