"""Ground-plane calibration: a homography from image pixels to floor metres.

A camera is calibrated by N >= 4 correspondences between a pixel in its image and the
same spot on the floor, in metres on a site plan (any right- or left-handed plane frame;
tracing only uses distances). cctrace fits the homography (normalised DLT refined to
minimise the floor-space error), reports the RMS reprojection error in metres, and
refuses input that cannot give a trustworthy mapping.

File formats (points are numbered from 1 in file order in every message):

JSON::

    {
      "points": [
        {"image": [444.5, 859.5], "floor": [0.0, 0.0]},
        {"image": [1475.5, 859.5], "floor": [4.0, 0.0]},
        {"image": [1191.5, 390.0], "floor": [4.0, 6.0]},
        {"image": [728.5, 390.0], "floor": [0.0, 6.0]}
      ],
      "image_size": [1920, 1080],
      "max_error_m": 0.5,
      "floor_frame": "central-station/concourse"
    }

``image`` is ``[u, v]`` in pixels (origin top-left, v down) of the image the points were
clicked in; ``floor`` is ``[x_m, y_m]``. ``image_size`` (``[width, height]`` px) is
optional but recommended: it lets cctrace refuse points outside the image and rescale
the calibration to a lower-resolution stream of the same camera. ``max_error_m`` is
optional (default 0.5): the largest floor error accepted at any point after fitting.
``floor_frame`` is optional: the name of the plan the floor points are measured in.
Cameras whose calibrations name the same frame measure positions in one coordinate
system, so contacts are measured across their views (a patient seen by one camera,
the person beside them by the next); name one frame only for views of one open space
(not through walls). Without it a camera's floor positions are compared only with its
own. The keys ``homography`` and ``reprojection_error_m`` written by
:func:`calibration_to_json` are accepted and ignored: the homography is always refitted
from the points, so a hand-edited file cannot carry a stale matrix.

CSV (header required, ``#`` lines are comments; a ``# floor_frame: NAME`` line sets
the floor frame)::

    # floor_frame: central-station/concourse
    u,v,x_m,y_m
    444.5,859.5,0.0,0.0
    1475.5,859.5,4.0,0.0
    1191.5,390.0,4.0,6.0
    728.5,390.0,0.0,6.0

With exactly 4 points the homography passes through every point, so the reprojection
error is 0 by construction and says nothing; 6 or more well-spread points let the error
catch a mistyped or misclicked point.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from cctrace.core.errors import InputError

F64 = NDArray[np.float64]

DEFAULT_MAX_ERROR_M = 0.5
"""Floor error at any calibration point above which a calibration is refused: half a
metre already moves a contact across the 1 m / 1.83 m / 2 m policy thresholds, so a
worse fit is not usable."""

MIN_POINTS = 4
DUPLICATE_IMAGE_PX = 0.5
"""Two image points closer than this are the same click (sub-pixel apart)."""
DUPLICATE_FLOOR_M = 0.001
"""Two floor points closer than 1 mm are the same tape measurement."""
COLLINEAR_FRACTION = 0.01
"""A set counts as collinear when every point lies within 1% of the set's extent from a
line: the fit is then so ill-conditioned that a pixel of click error moves distant floor
points by metres."""
CSV_COLUMNS = ("u", "v", "x_m", "y_m")
_JSON_KEYS = {
    "points",
    "image_size",
    "max_error_m",
    "homography",
    "reprojection_error_m",
    "floor_frame",
}
MAX_FRAME_CHARS = 200
_CSV_FRAME = "# floor_frame:"


@dataclass(frozen=True)
class Calibration:
    """A fitted image-to-floor homography and the correspondences it came from.

    image_xy_px: (N, 2) float64 pixels; floor_xy_m: (N, 2) float64 metres;
    homography: (3, 3) float64 mapping homogeneous image points to floor points, scaled
    so that every calibration point has w > 0; point_errors_m: (N,) float64 floor
    distance between each fitted point and its measured floor point;
    reprojection_error_m: RMS of point_errors_m; max_error_m: the limit every point
    passed;
    image_size_px: (width, height) of the calibration image, when known;
    floor_frame: the name of the floor plan the points are in, shared by cameras whose
    positions may be compared (None: this camera's own).
    """

    image_xy_px: F64
    floor_xy_m: F64
    homography: F64
    reprojection_error_m: float
    max_error_m: float
    point_errors_m: F64
    image_size_px: tuple[int, int] | None = field(default=None)
    floor_frame: str | None = field(default=None)

    def __post_init__(self) -> None:
        image = np.asarray(self.image_xy_px, dtype=np.float64)
        floor = np.asarray(self.floor_xy_m, dtype=np.float64)
        homography = np.asarray(self.homography, dtype=np.float64)
        errors = np.asarray(self.point_errors_m, dtype=np.float64)
        n = len(image)
        if image.shape != (n, 2) or floor.shape != (n, 2) or errors.shape != (n,):
            raise ValueError(
                f"image_xy_px {image.shape}, floor_xy_m {floor.shape} and point_errors_m "
                f"{errors.shape} must be (N, 2), (N, 2) and (N,)"
            )
        if homography.shape != (3, 3):
            raise ValueError(f"homography must be (3, 3), got {homography.shape}")
        object.__setattr__(self, "image_xy_px", image)
        object.__setattr__(self, "floor_xy_m", floor)
        object.__setattr__(self, "homography", homography)
        object.__setattr__(self, "point_errors_m", errors)

    def __len__(self) -> int:
        return len(self.image_xy_px)


class CalibrationPointJSON(TypedDict):
    image: list[float]
    floor: list[float]


class CalibrationJSON(TypedDict):
    """What :func:`calibration_to_json` writes and :func:`calibration_from_json` reads."""

    points: list[CalibrationPointJSON]
    max_error_m: float
    homography: NotRequired[list[list[float]]]
    reprojection_error_m: NotRequired[float]
    image_size: NotRequired[list[int]]
    floor_frame: NotRequired[str]


def foot_point_xy(box_xyxy: ArrayLike) -> F64:
    """Bottom-centre of each (N, 4) pixel box, shape (N, 2): where a standing person
    touches the floor, the only point of the box that lies on the calibrated plane."""
    box = np.asarray(box_xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack([(box[:, 0] + box[:, 2]) / 2.0, box[:, 3]], axis=1)


def apply_homography(homography: ArrayLike, xy: ArrayLike) -> F64:
    """Map (N, 2) points through a (3, 3) homography, shape (N, 2).

    Points with w <= 0 lie on or beyond the vanishing line (for an image-to-floor
    homography: at or above the horizon) and have no finite image; they come back NaN.
    """
    h = np.asarray(homography, dtype=np.float64)
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    homogeneous = pts @ h[:, :2].T + h[:, 2]
    w = homogeneous[:, 2:3]
    out = np.full((len(pts), 2), np.nan)
    ok = (w[:, 0] > 0) & np.isfinite(w[:, 0])
    out[ok] = homogeneous[ok, :2] / w[ok]
    return out


def image_to_floor(calibration: Calibration, image_xy_px: ArrayLike) -> F64:
    """Floor metres (N, 2) of (N, 2) image pixels; NaN at or above the horizon."""
    return apply_homography(calibration.homography, image_xy_px)


def fit_calibration(
    image_xy_px: ArrayLike,
    floor_xy_m: ArrayLike,
    max_error_m: float = DEFAULT_MAX_ERROR_M,
    *,
    image_size_px: tuple[int, int] | None = None,
    source: str = "calibration",
    point_labels: Sequence[str] | None = None,
    floor_frame: str | None = None,
) -> Calibration:
    """Fit the image-to-floor homography of N >= 4 correspondences.

    image_xy_px: (N, 2) pixels; floor_xy_m: (N, 2) metres; max_error_m: largest
    floor-space reprojection error accepted at any point (so also for the RMS, which is
    reported as ``reprojection_error_m``). ``source`` (a file name) and
    ``point_labels`` (one per point, default "point 1".."point N") only shape messages.
    Raises InputError for fewer than 4 points, non-finite values, duplicate points,
    (nearly) collinear configurations, points outside ``image_size_px``, a homography
    that is singular or puts a calibration point behind the horizon, and an RMS error
    above ``max_error_m``.
    """
    image = _as_points(image_xy_px, "image", source)
    floor = _as_points(floor_xy_m, "floor", source)
    frame = _frame_name(floor_frame, source)
    n = len(image)
    labels = list(point_labels) if point_labels is not None else _default_labels(n)
    if len(floor) != n or len(labels) != n:
        raise InputError(
            f"{source}: {n} image points but {len(floor)} floor points; "
            "give one floor point per image point"
        )
    if n < MIN_POINTS:
        raise InputError(
            f"{source}: {n} point pairs, at least {MIN_POINTS} are needed to fit a "
            "homography; add well-spread floor points (6 or more let cctrace check the fit)"
        )
    if not max_error_m > 0:
        raise InputError(f"{source}: max_error_m must be positive, got {max_error_m}")
    for pts, side in ((image, "image"), (floor, "floor")):
        bad = ~np.isfinite(pts).all(axis=1)
        if bad.any():
            raise InputError(
                f"{source}: non-finite {side} coordinate (NaN or infinity) at "
                f"{_name(labels, bad)}; give numbers for every coordinate"
            )
    if image_size_px is not None:
        width, height = image_size_px
        if width <= 0 or height <= 0:
            raise InputError(f"{source}: image_size {image_size_px} must be positive")
        outside = (image[:, 0] < 0) | (image[:, 0] > width) | (image[:, 1] < 0)
        outside |= image[:, 1] > height
        if outside.any():
            raise InputError(
                f"{source}: outside the {width}x{height} image: {_name(labels, outside)}; "
                "check the click coordinates and that image_size is the size of the image "
                "the points were taken from"
            )
    _refuse_duplicates(image, DUPLICATE_IMAGE_PX, "image", "px", source, labels)
    _refuse_duplicates(floor, DUPLICATE_FLOOR_M, "floor", "m", source, labels)
    _refuse_collinear(image, "image", source, labels)
    _refuse_collinear(floor, "floor", source, labels)

    # Method 0: least squares over all points (Hartley-normalised DLT, then
    # Levenberg-Marquardt on the floor-side error), so the RMS we report is what it
    # minimised. RANSAC would silently drop a mistyped point instead of reporting it.
    found, _ = cv2.findHomography(image.reshape(-1, 1, 2), floor.reshape(-1, 1, 2), 0)
    if found is None or np.asarray(found).shape != (3, 3):
        raise InputError(
            f"{source}: no homography fits these points; check that image and floor "
            "points are listed in the same order"
        )
    homography = np.asarray(found, dtype=np.float64)
    homography = _normalise(homography, image, source, labels)

    predicted = apply_homography(homography, image)
    errors = np.linalg.norm(predicted - floor, axis=1)
    rms = float(np.sqrt(np.mean(errors**2)))
    # The limit applies to every point, not only to the RMS: one mistyped point among
    # many barely moves the RMS yet bends the mapping near it by most of its error.
    worst = int(np.nanargmax(errors)) if np.isfinite(errors).any() else 0
    if not np.isfinite(errors).all() or errors[worst] > max_error_m:
        raise InputError(
            f"{source}: reprojection error above the {max_error_m:.3f} m limit (RMS "
            f"{rms:.3f} m); the worst is {labels[worst]} (image {_fmt(image[worst])}, "
            f"floor {_fmt(floor[worst])}) off by {errors[worst]:.3f} m. Re-measure or "
            "remove that point, or check the point order"
        )
    return Calibration(
        image_xy_px=image,
        floor_xy_m=floor,
        homography=homography,
        reprojection_error_m=rms,
        max_error_m=float(max_error_m),
        point_errors_m=errors,
        image_size_px=None
        if image_size_px is None
        else (int(image_size_px[0]), int(image_size_px[1])),
        floor_frame=frame,
    )


def rescale_calibration(calibration: Calibration, image_size_px: tuple[int, int]) -> Calibration:
    """The same calibration for a stream of another resolution, same aspect ratio.

    Cameras publish main and sub streams of one sensor (1920x1080 and 640x360): the same
    floor spot sits at proportionally scaled pixels. A different aspect ratio means a
    crop or another camera, which scaling cannot fix, so it is refused.
    """
    if calibration.image_size_px is None or calibration.image_size_px == image_size_px:
        return calibration
    cal_w, cal_h = calibration.image_size_px
    new_w, new_h = image_size_px
    sx, sy = new_w / cal_w, new_h / cal_h
    if abs(sx - sy) > 0.01 * max(sx, sy):
        raise InputError(
            f"frames are {new_w}x{new_h} but the camera was calibrated on a {cal_w}x{cal_h} "
            "image with another aspect ratio; calibrate on a frame of this stream"
        )
    scale = np.diag([sx, sy, 1.0])
    homography = calibration.homography @ np.linalg.inv(scale)
    return Calibration(
        image_xy_px=calibration.image_xy_px * np.array([sx, sy]),
        floor_xy_m=calibration.floor_xy_m,
        homography=homography,
        reprojection_error_m=calibration.reprojection_error_m,
        max_error_m=calibration.max_error_m,
        point_errors_m=calibration.point_errors_m,
        image_size_px=(int(new_w), int(new_h)),
        floor_frame=calibration.floor_frame,
    )


def calibration_to_json(calibration: Calibration) -> CalibrationJSON:
    """A JSON-ready dict in the file format above, plus the fitted matrix and error."""
    data: CalibrationJSON = {
        "points": [
            {"image": [float(u), float(v)], "floor": [float(x), float(y)]}
            for (u, v), (x, y) in zip(calibration.image_xy_px, calibration.floor_xy_m, strict=True)
        ],
        "max_error_m": calibration.max_error_m,
        "homography": [[float(x) for x in row] for row in calibration.homography],
        "reprojection_error_m": calibration.reprojection_error_m,
    }
    if calibration.image_size_px is not None:
        data["image_size"] = list(calibration.image_size_px)
    if calibration.floor_frame is not None:
        data["floor_frame"] = calibration.floor_frame
    return data


def calibration_from_json(
    data: object, source: str = "calibration", max_error_m: float | None = None
) -> Calibration:
    """Parse and fit a decoded JSON document in the file format above.

    ``max_error_m`` overrides the document's own threshold (default 0.5 m when absent).
    """
    if not isinstance(data, dict):
        raise InputError(
            f'{source}: expected a JSON object {{"points": [...]}}, got {type(data).__name__}'
        )
    unknown = sorted(set(data) - _JSON_KEYS)
    if unknown:
        raise InputError(
            f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; allowed keys are "
            f"{', '.join(sorted(_JSON_KEYS))}"
        )
    if "points" not in data:
        raise InputError(f'{source}: missing key "points" (a list of {{"image", "floor"}})')
    points = data["points"]
    if not isinstance(points, list):
        raise InputError(f'{source}: "points" must be a list, got {type(points).__name__}')
    image: list[list[float]] = []
    floor: list[list[float]] = []
    for i, point in enumerate(points, start=1):
        if not isinstance(point, dict) or set(point) != {"image", "floor"}:
            raise InputError(
                f'{source}: point {i} must be an object with exactly the keys "image" '
                f'and "floor", got {json.dumps(point)[:80]}'
            )
        image.append(_number_pair(point["image"], f"point {i} image", "[u, v] px", source))
        floor.append(_number_pair(point["floor"], f"point {i} floor", "[x_m, y_m]", source))
    size = data.get("image_size")
    image_size_px: tuple[int, int] | None = None
    if size is not None:
        if (
            not isinstance(size, list)
            or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in size)
        ):
            raise InputError(
                f'{source}: "image_size" must be [width, height] in whole pixels, got '
                f"{json.dumps(size)[:80]}"
            )
        image_size_px = (size[0], size[1])
    threshold = max_error_m
    if threshold is None:
        file_threshold = data.get("max_error_m", DEFAULT_MAX_ERROR_M)
        if not _is_number(file_threshold):
            raise InputError(f'{source}: "max_error_m" must be a number of metres')
        threshold = float(file_threshold)
    return fit_calibration(
        np.array(image, dtype=np.float64).reshape(-1, 2),
        np.array(floor, dtype=np.float64).reshape(-1, 2),
        threshold,
        image_size_px=image_size_px,
        source=source,
        floor_frame=_frame_name(data.get("floor_frame"), source),
    )


MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest calibration (or camera list) file read: a few hundred points take a few kB."""


def json_int(text: str) -> int | float:
    """``parse_int`` for JSON from users: an integer too long for a float becomes ±inf,
    refused later as not finite, instead of an OverflowError (or Python's 4300-digit
    limit) deep inside a fit."""
    if len(text.lstrip("-")) <= 300:
        return int(text)
    return float("-inf") if text.startswith("-") else float("inf")


def load_calibration(path: Path, max_error_m: float | None = None) -> Calibration:
    """Read and fit a ``.json`` or ``.csv`` calibration file (formats above)."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(
            f"{source}: unknown calibration file type {path.suffix!r}; use .json or .csv"
        )
    if path.exists() and not path.is_file():  # a folder, a device, a pipe: never read
        raise InputError(f"{source}: not a regular file; give a calibration file")
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{source}: larger than {MAX_FILE_BYTES} bytes; not a calibration")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: calibration file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read calibration file ({exc})") from None
    if suffix == ".json":
        try:
            data = json.loads(text, parse_int=json_int)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}); fix the file (format: docs/calibration.md)"
            ) from None
        except RecursionError:
            raise InputError(f"{source}: JSON nested too deeply; not a calibration") from None
        return calibration_from_json(data, source, max_error_m)
    return _calibration_from_csv(
        text, source, DEFAULT_MAX_ERROR_M if max_error_m is None else max_error_m
    )


def _calibration_from_csv(text: str, source: str, max_error_m: float) -> Calibration:
    frames = [
        line.strip()[len(_CSV_FRAME) :].strip()
        for line in text.splitlines()
        if line.strip().lower().startswith(_CSV_FRAME)
    ]
    if len(frames) > 1:
        raise InputError(f"{source}: {len(frames)} '{_CSV_FRAME}' lines; give at most one")
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"{source}: empty CSV; expected the header {','.join(CSV_COLUMNS)}")
    rows = list(csv.reader(line for _, line in lines))
    header = tuple(cell.strip() for cell in rows[0])
    if header != CSV_COLUMNS:
        raise InputError(
            f"{source}: CSV header is {','.join(header)!r}, expected exactly "
            f"{','.join(CSV_COLUMNS)!r} (pixels u, v then floor metres x_m, y_m)"
        )
    values: list[list[float]] = []
    labels: list[str] = []
    for (line_no, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(CSV_COLUMNS):
            raise InputError(
                f"{source}: line {line_no} has {len(row)} columns, expected "
                f"{len(CSV_COLUMNS)} ({','.join(CSV_COLUMNS)})"
            )
        try:
            values.append([float(cell) for cell in row])
        except ValueError:
            raise InputError(
                f"{source}: line {line_no} has a value that is not a number: {','.join(row)}"
            ) from None
        labels.append(f"point {len(labels) + 1} (line {line_no})")
    table = np.array(values, dtype=np.float64).reshape(-1, 4)
    return fit_calibration(
        table[:, :2],
        table[:, 2:],
        max_error_m,
        source=source,
        point_labels=labels,
        floor_frame=frames[0] if frames else None,
    )


def stored_floor_frame(calibration_json: str | None) -> str | None:
    """The floor frame a stored calibration (`calibration_to_json`, as text) names; None
    without a calibration, without a frame, or for text that is not one (a damaged
    calibration is refused where its homography is used)."""
    if not calibration_json:
        return None
    try:
        frame = json.loads(calibration_json).get("floor_frame")
    except (ValueError, AttributeError):
        return None
    return frame if isinstance(frame, str) and frame else None


def _frame_name(value: object, source: str) -> str | None:
    """A floor frame name as given (surrounding spaces dropped), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_FRAME_CHARS:
        raise InputError(
            f'{source}: "floor_frame" must be a non-empty name of at most {MAX_FRAME_CHARS} '
            f"characters (the floor plan the points are measured in), got {json.dumps(value)[:80]}"
        )
    return value.strip()


def _as_points(xy: ArrayLike, side: str, source: str) -> F64:
    try:
        pts = np.asarray(xy, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{source}: {side} points are not numbers") from None
    if pts.size == 0:
        return pts.reshape(0, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise InputError(f"{source}: {side} points must be (N, 2) pairs, got shape {pts.shape}")
    return pts


def _is_number(value: object) -> bool:
    # JSON true/false decode to bool, a subclass of int: not a coordinate.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_pair(value: object, what: str, form: str, source: str) -> list[float]:
    if not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value):
        raise InputError(
            f"{source}: {what} must be two numbers {form}, got {json.dumps(value)[:80]}"
        )
    return [float(value[0]), float(value[1])]


def _default_labels(n: int) -> list[str]:
    return [f"point {i}" for i in range(1, n + 1)]


def _name(labels: Sequence[str], mask: NDArray[np.bool_] | np.bool_) -> str:
    names = [labels[int(i)] for i in np.flatnonzero(mask)]
    return names[0] if len(names) == 1 else ", ".join(names)


def _fmt(xy: F64) -> str:
    return f"[{xy[0]:.6g}, {xy[1]:.6g}]"


def _refuse_duplicates(
    pts: F64, tolerance: float, side: str, unit: str, source: str, labels: Sequence[str]
) -> None:
    gaps = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)
    gaps[np.tril_indices(len(pts))] = np.inf
    flat = int(np.argmin(gaps))
    i, j = divmod(flat, len(pts))
    if gaps[i, j] < tolerance:
        raise InputError(
            f"{source}: {labels[i]} and {labels[j]} have the same {side} point "
            f"{_fmt(pts[i])} (closer than {tolerance:g} {unit}); remove the duplicate or "
            "fix the typo"
        )


def _refuse_collinear(pts: F64, side: str, source: str, labels: Sequence[str]) -> None:
    """Refuse sets with no 4 points in general position.

    N >= 4 points determine a homography iff no line holds N - 1 of them (with one point
    off a line of the others, every 4-subset has 3 collinear points). So we test the
    whole set and every leave-one-out subset against a fitted line.
    """
    extent = float(np.max(np.ptp(pts, axis=0)))
    tolerance = COLLINEAR_FRACTION * extent
    subsets: list[tuple[NDArray[np.bool_], str]] = [(np.ones(len(pts), bool), "all points")]
    for k in range(len(pts)):
        keep = np.ones(len(pts), bool)
        keep[k] = False
        named = _name(labels, keep) if len(pts) <= 5 else f"all points except {labels[k]}"
        subsets.append((keep, named))
    for subset, description in subsets:
        if _line_residual(pts[subset]) <= tolerance:
            raise InputError(
                f"{source}: {description} lie on one line in the {side}, so the "
                "homography is undetermined; add points off that line (spread them over "
                "the floor area people walk on, e.g. the corners of a large rectangle)"
            )


def _line_residual(pts: F64) -> float:
    """Largest distance of (K, 2) points from their total-least-squares line."""
    centred = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    normal = vt[-1]
    return float(np.max(np.abs(centred @ normal)))


def _normalise(homography: F64, image: F64, source: str, labels: Sequence[str]) -> F64:
    """Scale the homography so calibration points have w > 0, or refuse it."""
    if not np.isfinite(homography).all():
        raise InputError(f"{source}: the fitted homography is not finite; check the points")
    singular = np.linalg.svd(homography, compute_uv=False)
    if singular[-1] <= 1e-12 * singular[0]:
        raise InputError(
            f"{source}: the fitted homography is singular (it collapses the floor onto a "
            "line); spread the points over the floor and check their order"
        )
    homography = homography / singular[0]
    w = image @ homography[2, :2] + homography[2, 2]
    if np.sum(np.sign(w)) < 0:
        homography = -homography
        w = -w
    # A real floor seen by a real camera lies entirely on one side of the horizon; points
    # on both sides mean image and floor points are matched in a different order.
    behind = np.asarray(w <= 1e-12 * np.max(np.abs(w)), dtype=bool)
    if behind.any():
        raise InputError(
            f"{source}: the fitted homography folds the floor, putting "
            f"{_name(labels, behind)} behind the camera's horizon; check that image and "
            "floor points are listed in the same order and that no floor point is mirrored"
        )
    return homography
