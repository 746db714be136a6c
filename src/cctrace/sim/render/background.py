"""Each camera's background, ray-cast once: paving, asphalt, facades, windows and sky."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import ImageBGR
from cctrace.sim.render.base import F64
from cctrace.sim.render.cameras import CameraSpec
from cctrace.sim.render.world import Building, Road


def _hash01(i: NDArray[np.int64], j: NDArray[np.int64], salt: int) -> F64:
    """A fixed pseudo-random value in [0, 1) per integer cell: slab and brick tones."""
    h = (i * 73856093) ^ (j * 19349663) ^ (salt * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return np.asarray(((h ^ (h >> 16)) & 0xFFFF) / 65536.0, dtype=np.float64)


def _ground_colour(xy: F64, roads: Sequence[Road]) -> F64:
    """(N, 2) floor metres -> (N, 3) BGR float: 0.6 m slabs in running bond with grout;
    asphalt with a dashed centre line on roads."""
    x, y = xy[:, 0], xy[:, 1]
    row = np.floor(y / 0.6).astype(np.int64)
    xs = x + 0.3 * (row % 2)
    col = np.floor(xs / 0.6).astype(np.int64)
    tone = 0.9 + 0.2 * _hash01(col, row, 1)
    fx, fy = xs / 0.6 - col, y / 0.6 - row
    grout = (np.minimum(fx, 1 - fx) < 0.03) | (np.minimum(fy, 1 - fy) < 0.03)
    colour = np.array([150.0, 160.0, 168.0])[None, :] * tone[:, None]
    colour[grout] *= 0.72
    for road in roads:
        on = (x >= road.x_m[0]) & (x <= road.x_m[1]) & (y >= road.y_m[0]) & (y <= road.y_m[1])
        grain = 0.93 + 0.14 * _hash01(
            np.floor(x * 20).astype(np.int64), np.floor(y * 20).astype(np.int64), 2
        )
        colour[on] = np.array([72.0, 74.0, 78.0]) * grain[on, None]
        mid = (road.y_m[0] + road.y_m[1]) / 2
        dash = on & (np.abs(y - mid) < 0.07) & ((x % 6.0) < 3.0)
        colour[dash] = (210.0, 215.0, 220.0)
        kerb = on & (np.abs(y - road.y_m[1]) < 0.15)
        colour[kerb] = (175.0, 180.0, 185.0)
    return colour


def _facade_colour(b: Building, s: F64, z: F64, normal_shade: float) -> F64:
    """(N,) along-facade and height metres -> (N, 3) BGR float: plaster, windows on the
    upper floors, a shopfront with a sign band on the ground floor."""
    base = np.asarray(b.facade_bgr, np.float64)
    grain = 0.95 + 0.1 * _hash01(
        np.floor(s * 8).astype(np.int64), np.floor(z * 8).astype(np.int64), 3
    )
    colour = base[None, :] * grain[:, None]
    upper = z > 3.6
    fz = np.mod(z - 3.6, 3.2)
    fs = np.mod(s, 2.8)
    window = upper & (fz > 0.8) & (fz < 2.3) & (fs > 0.7) & (fs < 2.0) & (z < b.height_m - 0.6)
    frame = upper & (fz > 0.7) & (fz < 2.4) & (fs > 0.6) & (fs < 2.1) & ~window
    colour[frame] = base * 0.55
    glass = np.array([95.0, 80.0, 60.0]) + 40 * (fz[:, None] - 0.8) / 1.5
    colour[window] = glass[window]
    if b.shopfront_bgr is not None:
        fs5 = np.mod(s, 5.0)
        shop = (z > 0.35) & (z < 2.7) & (fs5 > 0.5) & (fs5 < 4.5)
        shop_glass = np.array([105.0, 95.0, 80.0]) + 50 * (2.7 - z[:, None]) / 2.4
        colour[shop] = shop_glass[shop]
        sign = (z > 2.95) & (z < 3.45)
        colour[sign] = b.shopfront_bgr
    else:
        door = (z < 2.6) & (np.abs(np.mod(s, 12.0) - 6.0) < 1.1)
        colour[door] = base * 0.35
    return colour * normal_shade


def ray_box(origin: F64, inv_rays: F64, b: Building) -> tuple[F64, F64]:
    """Slab test of rays (N, 3 inverse directions) against a building: entry and exit
    ray parameters (N,) each; a ray hits when entry <= exit and entry > 0."""
    lo = np.array([b.x_m[0], b.y_m[0], 0.0])
    hi = np.array([b.x_m[1], b.y_m[1], b.height_m])
    with np.errstate(invalid="ignore"):
        t0 = (lo - origin) * inv_rays
        t1 = (hi - origin) * inv_rays
    tmin = np.nan_to_num(np.minimum(t0, t1), nan=-np.inf)
    tmax = np.nan_to_num(np.maximum(t0, t1), nan=np.inf)
    return tmin, tmax


@dataclass(frozen=True)
class Background:
    """A camera's empty scene: image (H, W, 3) uint8 and, per pixel, the depth in metres
    (along the optical axis) of the building surface seen there, inf where the pixel
    shows floor or sky: a person farther away than that is behind the building."""

    image_bgr: ImageBGR
    occluder_depth_m: NDArray[np.float32]


def render_background(
    camera: CameraSpec,
    buildings: Sequence[Building],
    roads: Sequence[Road],
    supersample: int = 2,
) -> Background:
    """The empty scene as the camera sees it, ray-cast per pixel (``supersample`` x
    ``supersample`` rays, averaged, so edges are anti-aliased)."""
    w, h = camera.image_size_px
    ss = supersample
    us, vs = np.meshgrid((np.arange(w * ss) + 0.5) / ss, (np.arange(h * ss) + 0.5) / ss)
    # Rays are scaled so their optical-axis component is 1: the ray parameter t is then
    # the depth along the axis, the quantity people are sorted and hidden by.
    rays = camera._rays(np.column_stack([us.ravel(), vs.ravel()]))
    origin = camera.centre_xyz_m
    n = len(rays)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / rays
        t_ground = np.where(rays[:, 2] < 0, -origin[2] / rays[:, 2], np.inf)
    best_t = t_ground.copy()
    hit_building = np.full(n, -1)
    hit_axis = np.zeros(n, dtype=np.int64)
    hit_sign = np.zeros(n)
    # Only buildings that a coarse grid of rays hits can show; the full test of every
    # building against every ray is most of the cost.
    coarse = np.arange(0, n, 37)
    visible = []
    for k, b in enumerate(buildings):
        tmin, tmax = ray_box(origin, inv[coarse], b)
        t_near, t_far = tmin.max(axis=1), tmax.min(axis=1)
        if np.any((t_near <= t_far) & (t_far > 0)):
            visible.append(k)
    for k in visible:
        tmin, tmax = ray_box(origin, inv, buildings[k])
        t_near = tmin.max(axis=1)
        t_far = tmax.min(axis=1)
        hit = (t_near <= t_far) & (t_near > 0) & (t_near < best_t)
        best_t[hit] = t_near[hit]
        hit_building[hit] = k
        axis = tmin.argmax(axis=1)
        hit_axis[hit] = axis[hit]
        hit_sign[hit] = -np.sign(rays[hit, axis[hit]])
    # Sky: a pale gradient with elevation.
    elev = rays[:, 2] / np.linalg.norm(rays, axis=1)
    colour = np.empty((n, 3), np.float32)
    colour[:] = np.array([225.0, 205.0, 185.0]) - 60 * np.clip(elev, 0, 1)[:, None]
    ground = np.isfinite(best_t) & (hit_building < 0)
    p = origin + np.where(np.isfinite(best_t), best_t, 0.0)[:, None] * rays
    colour[ground] = _ground_colour(p[ground, :2], roads)
    # Facades: light from the south-west, so south faces are brightest.
    shade_by_face = {(0, -1.0): 0.8, (0, 1.0): 0.7, (1, -1.0): 1.0, (1, 1.0): 0.65, (2, 1.0): 0.6}
    for k in visible:
        for (axis_k, sign_k), shade in shade_by_face.items():
            sel = (hit_building == k) & (hit_axis == axis_k) & (hit_sign == sign_k)
            if not sel.any():
                continue
            s = p[sel, 1] if axis_k == 0 else p[sel, 0]
            colour[sel] = _facade_colour(buildings[k], s, p[sel, 2], shade)
    # Haze: far surfaces fade towards the sky's colour, as through real air.
    fog = (1 - np.exp(-np.nan_to_num(best_t, posinf=1e4) / 250.0)).astype(np.float32)
    colour = colour * (1 - fog[:, None]) + np.array([215, 205, 195], np.float32) * fog[:, None]
    # Soft contact shadow along the foot of every wall.
    if ground.any() and visible:
        gx, gy = p[ground, 0], p[ground, 1]
        d = np.full(len(gx), np.inf)
        for k in visible:
            b = buildings[k]
            dx = np.maximum(np.maximum(b.x_m[0] - gx, gx - b.x_m[1]), 0)
            dy = np.maximum(np.maximum(b.y_m[0] - gy, gy - b.y_m[1]), 0)
            d = np.minimum(d, np.hypot(dx, dy))
        colour[ground] *= (1 - 0.25 * np.exp(-d / 0.8)).astype(np.float32)[:, None]
    full: NDArray[np.float32] = colour.reshape(h * ss, w * ss, 3)
    img = np.asarray(cv2.resize(full, (w, h), interpolation=cv2.INTER_AREA), np.float32)
    occluder = np.where(hit_building >= 0, best_t, np.inf).astype(np.float32)
    occluder = occluder.reshape(h, ss, w, ss).min(axis=(1, 3))  # nearest of the subpixels
    return Background(np.clip(img + 0.5, 0, 255).astype(np.uint8), occluder)
