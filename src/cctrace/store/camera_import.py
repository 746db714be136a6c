"""Camera lists from CSV or GeoJSON, validated as a whole before anything is stored.

CSV: a header row with ``id,name`` and any of ``site,lat,lon,x_m,y_m,calibration``
(``calibration``: path of a calibration file, relative to the CSV's folder).
GeoJSON: a FeatureCollection of Point features; ``coordinates`` are ``[lon, lat]``
and ``properties`` carry ``id``, ``name`` and optionally ``site`` and ``calibration``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from cctrace.core.errors import InputError
from cctrace.geometry.calibration import (
    Calibration,
    calibration_to_json,
    json_int,
    load_calibration,
)
from cctrace.store.records import CameraRecord

CSV_COLUMNS = ("id", "name", "site", "lat", "lon", "x_m", "y_m", "calibration")
MAX_ID_LEN = 64
MAX_TEXT_LEN = 200  # the name and site columns: PostgreSQL refuses longer, SQLite would not


def check_camera_id(camera_id: str, where: str) -> str:
    """Camera ids end up in file names and URLs: letters, digits, ``-``, ``_``, ``.``."""
    cid = camera_id.strip()
    ok = cid and len(cid) <= MAX_ID_LEN and all(c.isalnum() or c in "-_." for c in cid)
    if not ok or cid in (".", ".."):
        raise InputError(
            f"{where}: camera id {camera_id!r} is not allowed; use up to {MAX_ID_LEN} "
            "letters, digits, '-', '_' or '.'"
        )
    return cid


def camera_record(
    camera_id: str,
    name: str,
    *,
    site: str = "",
    lat: float | None = None,
    lon: float | None = None,
    x_m: float | None = None,
    y_m: float | None = None,
    calibration: Calibration | None = None,
    where: str = "camera",
) -> CameraRecord:
    """A validated CameraRecord; InputError naming ``where`` on any bad field."""
    cid = check_camera_id(camera_id, where)
    if not name.strip():
        raise InputError(f"{where}: camera {cid!r} needs a name")
    for text, field in ((name, "name"), (site, "site")):
        if len(text.strip()) > MAX_TEXT_LEN:
            raise InputError(
                f"{where}: camera {cid!r}: the {field} has {len(text.strip())} characters; "
                f"use at most {MAX_TEXT_LEN}"
            )
    if (lat is None) != (lon is None):
        raise InputError(f"{where}: camera {cid!r}: give both lat and lon, or neither")
    if (x_m is None) != (y_m is None):
        raise InputError(f"{where}: camera {cid!r}: give both x_m and y_m, or neither")
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InputError(f"{where}: camera {cid!r}: lat {lat}, lon {lon} is not on Earth")
        if x_m is not None:
            raise InputError(
                f"{where}: camera {cid!r}: give lat/lon or site-plan x_m/y_m, not both"
            )
    for value, label in ((x_m, "x_m"), (y_m, "y_m"), (lat, "lat"), (lon, "lon")):
        if value is not None and not math.isfinite(value):
            raise InputError(f"{where}: camera {cid!r}: {label} must be a finite number")
    return CameraRecord(
        camera_id=cid,
        name=name.strip(),
        site=site.strip(),
        lat=lat,
        lon=lon,
        x_m=x_m,
        y_m=y_m,
        calibration_json=json.dumps(calibration_to_json(calibration)) if calibration else None,
        reprojection_error_m=calibration.reprojection_error_m if calibration else None,
    )


def _number(text: str | None, label: str, where: str) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{where}: {label} {text!r} is not a number") from None


def _calibration(ref: str | None, base: Path | None, where: str) -> Calibration | None:
    """The calibration file a camera list names (relative to the list's folder); ``base``
    None: the list was uploaded, and names no file of the server's to read."""
    if not ref or not ref.strip():
        return None
    if base is None:
        raise InputError(
            f"{where}: an uploaded camera list cannot name calibration files; add the "
            "camera without it, then its calibration with the camera form"
        )
    path = Path(ref.strip())
    if not path.is_absolute():
        path = base / path
    try:
        return load_calibration(path)
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}") from None


def read_cameras(path: Path, calibration_files: bool = True) -> list[CameraRecord]:
    """Every camera in a .csv or .geojson/.json file; InputError on the first bad one.

    ``calibration_files`` False (an uploaded list): a camera naming a calibration file is
    refused, so that an upload never makes the server read one of its own files."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; give a .csv or .geojson camera list")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    cameras = (
        _read_csv(text, path, path.parent if calibration_files else None)
        if suffix == ".csv"
        else _read_geojson(text, path, path.parent if calibration_files else None)
        if suffix in (".geojson", ".json")
        else None
    )
    if cameras is None:
        raise InputError(f"{path}: unknown camera list type {suffix!r}; use .csv or .geojson")
    if not cameras:
        raise InputError(f"{path}: the file lists no camera")
    seen: set[str] = set()
    for c in cameras:
        if c.camera_id in seen:
            raise InputError(f"{path}: camera id {c.camera_id!r} appears twice")
        seen.add(c.camera_id)
    return cameras


def _read_csv(text: str, path: Path, base: Path | None) -> list[CameraRecord]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = {"id", "name"} - set(header)
    unknown = set(header) - set(CSV_COLUMNS)
    if missing or unknown:
        raise InputError(
            f"{path}: header must have id,name and may have {','.join(CSV_COLUMNS[2:])}; "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    out = []
    for line_no, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "") for k, v in raw.items() if k is not None}
        if None in raw:
            raise InputError(f"{path}:{line_no}: more fields than columns in the header")
        where = f"{path}:{line_no}"
        out.append(
            camera_record(
                row.get("id", ""),
                row.get("name", ""),
                site=row.get("site", ""),
                lat=_number(row.get("lat"), "lat", where),
                lon=_number(row.get("lon"), "lon", where),
                x_m=_number(row.get("x_m"), "x_m", where),
                y_m=_number(row.get("y_m"), "y_m", where),
                calibration=_calibration(row.get("calibration"), base, where),
                where=where,
            )
        )
    return out


def _read_geojson(text: str, path: Path, base: Path | None) -> list[CameraRecord]:
    try:
        doc = json.loads(text, parse_int=json_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; not a camera list") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(f"{path}: expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise InputError(f"{path}: the FeatureCollection has no features list")
    out = []
    for i, feature in enumerate(features):
        where = f"{path}: feature {i}"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            raise InputError(f"{where}: geometry must be a Point")
        coords = geometry.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in coords)
        ):
            raise InputError(f"{where}: coordinates must be [lon, lat]")
        if not isinstance(props, dict):
            raise InputError(f"{where}: properties with id and name are required")
        calibration_ref = props.get("calibration")
        out.append(
            camera_record(
                str(props.get("id", "")),
                str(props.get("name", "")),
                site=str(props.get("site", "") or ""),
                lon=float(coords[0]),
                lat=float(coords[1]),
                calibration=_calibration(
                    calibration_ref if isinstance(calibration_ref, str) else None, base, where
                ),
                where=where,
            )
        )
    return out
