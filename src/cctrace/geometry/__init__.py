"""Floor geometry: camera calibration, floor positions of people, floor distances."""

from __future__ import annotations

from cctrace.geometry.calibration import (
    DEFAULT_MAX_ERROR_M,
    Calibration,
    apply_homography,
    calibration_from_json,
    calibration_to_json,
    fit_calibration,
    foot_point_xy,
    image_to_floor,
    load_calibration,
    rescale_calibration,
)
from cctrace.geometry.distance import (
    interpolate_path,
    overlap_distance_series,
    pairwise_floor_distance_m,
)
from cctrace.geometry.height import (
    DEFAULT_HFOV_DEG,
    DEFAULT_PERSON_HEIGHT_M,
    FloorEstimate,
    floor_positions,
    height_model_floor_xy,
)

__all__ = [
    "DEFAULT_HFOV_DEG",
    "DEFAULT_MAX_ERROR_M",
    "DEFAULT_PERSON_HEIGHT_M",
    "Calibration",
    "FloorEstimate",
    "apply_homography",
    "calibration_from_json",
    "calibration_to_json",
    "fit_calibration",
    "floor_positions",
    "foot_point_xy",
    "height_model_floor_xy",
    "image_to_floor",
    "interpolate_path",
    "load_calibration",
    "overlap_distance_series",
    "pairwise_floor_distance_m",
    "rescale_calibration",
]
