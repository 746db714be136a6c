"""Camera positions on one plane in metres, for the site map.

A camera is positioned either geographically (lat/lon degrees) or in site-plan metres
(``x_m``/``y_m``), and each site's plan is its own frame (as in
`cctrace.trace.plausibility`). One map can show one frame only: the cameras with
lat/lon (projected around their mean), or the cameras of one site's plan. The frame
holding most of the route's cameras is drawn (then the one with most cameras, then
lat/lon); every other camera is listed as not placed, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cctrace.store.records import CameraRecord

EARTH_RADIUS_M = 6_371_000.0

FrameKind = Literal["geo", "site", "none"]


@dataclass(frozen=True)
class PlanePoint:
    """A camera on the map's plane: ``x_m`` to the right, ``y_m`` up (north for lat/lon)."""

    camera_id: str
    name: str
    x_m: float
    y_m: float


@dataclass(frozen=True)
class NotPlaced:
    camera_id: str
    reason: str


@dataclass(frozen=True)
class Plane:
    """The cameras drawn (``points``), those that are not (with why), and the frame.

    ``site`` names the site whose plan is drawn (frame ``"site"`` only).
    """

    points: tuple[PlanePoint, ...]
    not_placed: tuple[NotPlaced, ...]
    frame: FrameKind
    site: str | None = None


def project_equirectangular(
    lat_deg: Sequence[float], lon_deg: Sequence[float]
) -> tuple[list[float], list[float]]:
    """N latitudes/longitudes (degrees) to N east/north offsets (metres) from their mean.

    The local equirectangular projection: under 0.1% error over a city.
    """
    if not lat_deg:
        return [], []
    lat0 = sum(lat_deg) / len(lat_deg)
    lon0 = sum(lon_deg) / len(lon_deg)
    k = math.pi / 180 * EARTH_RADIUS_M
    cos0 = math.cos(math.radians(lat0))
    east = [(lon - lon0) * cos0 * k for lon in lon_deg]
    north = [(lat - lat0) * k for lat in lat_deg]
    return east, north


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def _frames_of(camera: CameraRecord) -> list[tuple[str, str]]:
    """The frames a camera can be drawn in: ("geo", "") and/or ("site", its site)."""
    frames: list[tuple[str, str]] = []
    if _finite(camera.lat, camera.lon):
        frames.append(("geo", ""))
    if _finite(camera.x_m, camera.y_m):
        frames.append(("site", camera.site))
    return frames


def _site_words(site: str) -> str:
    return f"site {site}" if site else "a site with no name"


def _frame_words(frame: tuple[str, str]) -> str:
    if frame[0] == "geo":
        return "latitude/longitude"
    return f"site-plan metres of {_site_words(frame[1])}"


def to_plane(cameras: Sequence[CameraRecord], route_camera_ids: Sequence[str] = ()) -> Plane:
    """The cameras' positions on one plane (metres), choosing the frame as the module says.

    ``route_camera_ids`` (any order, repeats allowed) rank the frames; a route camera
    missing from ``cameras`` is listed as not placed.
    """
    on_route = set(route_camera_ids)
    frames_by_camera = {c.camera_id: _frames_of(c) for c in cameras}
    candidates = sorted({f for frames in frames_by_camera.values() for f in frames})

    def rank(frame: tuple[str, str]) -> tuple[int, int, int]:
        members = [cid for cid, frames in frames_by_camera.items() if frame in frames]
        return (sum(cid in on_route for cid in members), len(members), frame[0] == "geo")

    chosen = max(candidates, key=rank) if candidates else None
    not_placed: list[NotPlaced] = []
    kept: list[CameraRecord] = []
    for camera in cameras:
        frames = frames_by_camera[camera.camera_id]
        if chosen is not None and chosen in frames:
            kept.append(camera)
        elif not frames:
            not_placed.append(NotPlaced(camera.camera_id, "no position recorded"))
        else:
            assert chosen is not None  # a camera with a frame makes a candidate
            not_placed.append(
                NotPlaced(
                    camera.camera_id,
                    f"positioned in {_frame_words(frames[0])}; "
                    f"the map is drawn in {_frame_words(chosen)}",
                )
            )
    known = set(frames_by_camera)
    for camera_id in dict.fromkeys(route_camera_ids):
        if camera_id not in known:
            not_placed.append(NotPlaced(camera_id, "not in the camera list"))

    if chosen is None:
        return Plane((), tuple(not_placed), "none")
    if chosen[0] == "geo":
        east, north = project_equirectangular(
            [float(c.lat or 0.0) for c in kept], [float(c.lon or 0.0) for c in kept]
        )
        points = tuple(
            PlanePoint(c.camera_id, c.name, x, y) for c, x, y in zip(kept, east, north, strict=True)
        )
        return Plane(points, tuple(not_placed), "geo")
    points = tuple(
        PlanePoint(c.camera_id, c.name, float(c.x_m or 0.0), float(c.y_m or 0.0)) for c in kept
    )
    return Plane(points, tuple(not_placed), "site", chosen[1])
