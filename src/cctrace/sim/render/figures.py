"""People as 3D stick figures with volume, posed, projected, shaded and painted."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import ImageBGR
from cctrace.sim.masks import draw_mask
from cctrace.sim.render.base import BGR, F64, FACE_FRONT_COS, HEAD_FRACTION
from cctrace.sim.render.cameras import CameraSpec
from cctrace.sim.render.faces import FaceTexture, face_texture
from cctrace.sim.render.world import Pose, ScriptedPerson


@dataclass(frozen=True)
class _Capsule:
    """A limb: two circles (centres px, radii px) and their tangent hull."""

    p0: F64
    p1: F64
    r0_px: float
    r1_px: float
    colour: BGR


@dataclass(frozen=True)
class _Hull:
    """The convex hull of projected points (K, 2) px: torso, pelvis."""

    points_px: F64
    colour: BGR


HeadView = Literal["front", "side", "back"]


@dataclass(frozen=True)
class _Head:
    centre_px: F64
    half_w_px: float
    half_h_px: float
    roll_deg: float
    view: HeadView
    cos_to_camera: float
    turn_sign: float
    """+1 when the face turns towards image-right, -1 towards image-left."""


@dataclass(frozen=True)
class Figure:
    person: ScriptedPerson
    depth_m: float
    parts: tuple[_Capsule | _Hull, ...]
    head: _Head
    shadow_px: F64
    masked: bool

    @property
    def box_xyxy(self) -> F64:
        """Box of everything drawn, (4,) px, not clipped to the frame."""
        lo, hi = [], []
        for part in self.parts:
            if isinstance(part, _Capsule):
                for p, r in ((part.p0, part.r0_px), (part.p1, part.r1_px)):
                    lo.append(p - r)
                    hi.append(p + r)
            else:
                lo.append(part.points_px.min(axis=0))
                hi.append(part.points_px.max(axis=0))
        hd = self.head
        ext = np.array([hd.half_w_px, hd.half_h_px]) * 1.05
        lo.append(hd.centre_px - ext)
        hi.append(hd.centre_px + ext)
        return np.concatenate([np.min(lo, axis=0), np.max(hi, axis=0)])


# Body proportions as fractions of height (adult anthropometric averages).
_HIP_Z, _SHOULDER_Z, _ANKLE_Z = 0.53, 0.80, 0.045
_THIGH, _SHIN, _FOOT = 0.245, 0.245, 0.11
_UPPER_ARM, _FOREARM, _HAND = 0.186, 0.146, 0.07
_HIP_HALF_W, _SHOULDER_HALF_W = 0.05, 0.1


def _shade(colour: BGR, factor: float) -> BGR:
    b, g, r = (min(255, max(0, int(c * factor))) for c in colour)
    return (b, g, r)


def build_figure(
    person: ScriptedPerson, pose: Pose, camera: CameraSpec, t_s: float
) -> Figure | None:
    """Pose the skeleton, project it, and lay out the parts back to front."""
    H = person.height_m  # noqa: N806 (stature, the unit of every body proportion)
    fwd = np.array([math.cos(pose.heading_rad), math.sin(pose.heading_rad)])
    left = np.array([-fwd[1], fwd[0]])
    amp = 0.42 if pose.walking else 0.0  # hip swing, radians (~24 degrees)
    joints: dict[str, tuple[float, float, float]] = {}  # local: forward, left, up (metres)
    for side, name in ((1.0, "l"), (-1.0, "r")):
        phi = pose.gait_phase_rad + (0.0 if side > 0 else math.pi)
        theta = amp * math.sin(phi)
        knee_flex = (0.1 + 0.9 * max(0.0, math.cos(phi)) ** 2) if pose.walking else 0.03
        hip = np.array([0.0, side * _HIP_HALF_W * H, _HIP_Z * H])
        knee = hip + _THIGH * H * np.array([math.sin(theta), 0.0, -math.cos(theta)])
        shin_a = theta - knee_flex
        ankle = knee + _SHIN * H * np.array([math.sin(shin_a), side * 0.004, -math.cos(shin_a)])
        toe = ankle + np.array([_FOOT * H, 0.0, -0.02 * H])
        psi = -0.75 * amp * math.sin(phi) if pose.walking else 0.04
        elbow_flex = 0.35 if pose.walking else 0.12
        shoulder = np.array([0.0, side * _SHOULDER_HALF_W * H, _SHOULDER_Z * H])
        elbow = shoulder + _UPPER_ARM * H * np.array([math.sin(psi), side * 0.12, -math.cos(psi)])
        a2 = psi + elbow_flex
        wrist = elbow + _FOREARM * H * np.array([math.sin(a2), side * 0.05, -math.cos(a2)])
        hand = wrist + _HAND * H * np.array([math.sin(a2), 0.0, -math.cos(a2)])
        for key, val in (
            ("hip", hip),
            ("knee", knee),
            ("ankle", ankle),
            ("toe", toe),
            ("shoulder", shoulder),
            ("elbow", elbow),
            ("wrist", wrist),
            ("hand", hand),
        ):
            joints[f"{key}_{name}"] = (float(val[0]), float(val[1]), float(val[2]))
    # The stance foot carries the body: lift or lower everything so it touches the floor.
    bob = _ANKLE_Z * H - min(joints["ankle_l"][2], joints["ankle_r"][2])
    names = list(joints)
    local = np.array([joints[k] for k in names]) + np.array([0.0, 0.0, bob])
    head_local = np.array([[0.0, 0.0, H * (1 - HEAD_FRACTION / 2) + bob]])

    def to_world(p: F64) -> F64:
        xy = pose.xy_m + p[:, :1] * fwd + p[:, 1:2] * left
        return np.column_stack([xy, p[:, 2]])

    uv_all, depth_all = camera.project(to_world(np.vstack([local, head_local])))
    if not np.all(depth_all > 0.3):
        return None
    uv = {k: uv_all[i] for i, k in enumerate(names)}
    dep = {k: float(depth_all[i]) for i, k in enumerate(names)}
    f = camera.f_px
    o = person.outfit

    def px(diam_frac: float, depth: float) -> float:
        return f * diam_frac * H / 2 / depth

    def cap(a: str, b: str, d0: float, d1: float, colour: BGR) -> _Capsule:
        return _Capsule(uv[a], uv[b], px(d0, dep[a]), px(d1, dep[b]), colour)

    def hull(levels: Sequence[tuple[float, float, float]], colour: BGR) -> _Hull:
        pts = [
            (a * d * H, b * w * H, z * H + bob)
            for z, w, d in levels
            for a in (-1.0, 1.0)
            for b in (-1.0, 1.0)
        ]
        p, _ = camera.project(to_world(np.asarray(pts)))
        return _Hull(p, colour)

    legs = {
        s: [
            cap(f"hip_{s}", f"knee_{s}", 0.105, 0.076, o.trousers_bgr),
            cap(f"knee_{s}", f"ankle_{s}", 0.074, 0.058, o.trousers_bgr),
            cap(f"ankle_{s}", f"toe_{s}", 0.05, 0.045, o.shoes_bgr),
        ]
        for s in ("l", "r")
    }
    sleeve = o.skin_bgr if o.short_sleeves else o.shirt_bgr
    arms = {
        s: [
            cap(f"shoulder_{s}", f"elbow_{s}", 0.066, 0.054, o.shirt_bgr),
            cap(f"elbow_{s}", f"wrist_{s}", 0.05, 0.038, sleeve),
            cap(f"wrist_{s}", f"hand_{s}", 0.042, 0.036, o.skin_bgr),
        ]
        for s in ("l", "r")
    }
    pelvis = hull(((0.57, 0.1, 0.064), (0.45, 0.098, 0.06)), o.trousers_bgr)
    torso = hull(
        (
            (0.856, 0.042, 0.035),
            (0.832, 0.08, 0.048),
            (0.8, 0.108, 0.055),
            (0.72, 0.104, 0.07),
            (0.62, 0.09, 0.064),
            (0.52, 0.1, 0.066),
        ),
        o.shirt_bgr,
    )
    shoulders = cap("shoulder_l", "shoulder_r", 0.07, 0.07, o.shirt_bgr)
    neck_top = np.array([[0.0, 0.0, H * (1 - HEAD_FRACTION) + bob + 0.015 * H]])
    neck_uv, neck_dep = camera.project(to_world(neck_top))
    neck_base_uv = (uv["shoulder_l"] + uv["shoulder_r"]) / 2
    neck = _Capsule(
        neck_base_uv,
        neck_uv[0],
        px(0.08, float(neck_dep[0])),
        px(0.072, float(neck_dep[0])),
        o.skin_bgr,
    )

    near = "l" if dep["hip_l"] < dep["hip_r"] else "r"
    far = "r" if near == "l" else "l"
    torso_depth = (dep["hip_l"] + dep["hip_r"]) / 2
    front_arms = [s for s in ("l", "r") if dep[f"elbow_{s}"] < torso_depth - 0.02 * H]
    back_arms = [s for s in ("l", "r") if s not in front_arms]
    parts: list[_Capsule | _Hull] = []
    for s in back_arms:
        parts += arms[s]
    parts += legs[far]
    parts.append(pelvis)
    parts += legs[near]
    # Neck and shoulder line first: the collar and the shirt then overlap them, as clothes do.
    parts += [neck, shoulders, torso]
    for s in front_arms:
        parts += arms[s]

    head_uv, head_depth = uv_all[-1], float(depth_all[-1])
    up_uv, _ = camera.project(to_world(head_local + np.array([0.0, 0.0, 0.1])))
    up = up_uv[0] - head_uv
    roll_deg = math.degrees(math.atan2(up[0], -up[1]))
    to_cam = camera.centre_xyz_m[:2] - pose.xy_m
    cos_a = float(fwd @ to_cam / max(float(np.linalg.norm(to_cam)), 1e-9))
    ahead_uv, _ = camera.project(to_world(np.array([[0.3, 0.0, head_local[0, 2]]])))
    turn = float(np.sign(ahead_uv[0, 0] - head_uv[0])) or 1.0
    view: HeadView = (
        "front" if cos_a > FACE_FRONT_COS else "back" if cos_a < -FACE_FRONT_COS else "side"
    )
    head = _Head(
        head_uv,
        f * 0.05 * H / head_depth,
        f * (HEAD_FRACTION / 2) * H / head_depth,
        roll_deg,
        view,
        cos_a,
        turn,
    )
    ring = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    shadow_xy = pose.xy_m + 0.3 * np.column_stack([np.cos(ring), np.sin(ring)])
    shadow_px = camera.floor_to_image(shadow_xy)
    return Figure(person, torso_depth, tuple(parts), head, shadow_px, person.masked_at(t_s))


_RING = np.stack(
    [
        np.cos(np.linspace(0, 2 * math.pi, 14, endpoint=False)),
        np.sin(np.linspace(0, 2 * math.pi, 14, endpoint=False)),
    ],
    axis=1,
)


def _part_polys(part: _Capsule | _Hull, grows: F64, shifts_px: F64) -> list[NDArray[np.int32]]:
    """Outlines of a part at several sizes (L,) and offsets (L, 2) px, as int polygons in
    1/8 px (cv2's ``shift=3``), all layers in one vectorised pass (this runs ~300 times
    per frame)."""
    g = grows[:, None, None]
    if isinstance(part, _Capsule):
        pts = np.concatenate(
            [part.p0 + _RING * (part.r0_px * g), part.p1 + _RING * (part.r1_px * g)], axis=1
        )
    else:
        # A torso narrows sideways only: lit like a vertical cylinder, as a body is
        # under daylight from above and the side.
        centre = part.points_px.mean(axis=0)
        rel = part.points_px - centre
        scale = np.stack([grows, 1 - 0.12 * (1 - grows)], axis=1)[:, None, :]
        pts = centre + rel[None] * scale
    pts = np.round((pts + shifts_px[:, None, :]) * 8).astype(np.int32)
    return [np.asarray(cv2.convexHull(layer), np.int32).reshape(-1, 2) for layer in pts]


# (size factor, shift towards the light as a fraction of the part's radius, brightness):
# nested layers that the frame's blur melts into a smooth rim-to-highlight gradient.
_SHADING_LAYERS = (
    (1.0, 0.0, 0.6),
    (0.86, 0.12, 0.76),
    (0.7, 0.22, 0.9),
    (0.5, 0.32, 1.02),
    (0.28, 0.42, 1.12),
)
_LAYER_GROW = np.array([x[0] for x in _SHADING_LAYERS])
_LAYER_TOWARD = np.array([x[1] for x in _SHADING_LAYERS])
_LAYER_BRIGHTNESS = tuple(x[2] for x in _SHADING_LAYERS)


def _paint_part(img: ImageBGR, part: _Capsule | _Hull) -> None:
    """A part shaded as a rounded solid lit from the upper left, so limbs and torso read
    as volumes rather than flat strokes."""
    if isinstance(part, _Capsule):
        size = (part.r0_px + part.r1_px) / 2
    else:
        size = float(np.ptp(part.points_px[:, 0])) / 2
    shifts = _LAYER_TOWARD[:, None] * (np.array([-0.94, -0.34]) * size)
    for poly, colour_factor in zip(
        _part_polys(part, _LAYER_GROW, shifts), _LAYER_BRIGHTNESS, strict=True
    ):
        cv2.fillPoly(img, [poly], _shade(part.colour, colour_factor), cv2.LINE_AA, shift=3)


def _paint_head(img: ImageBGR, fig: Figure) -> None:
    hd = fig.head
    o = fig.person.outfit
    centre = (round(hd.centre_px[0] * 8), round(hd.centre_px[1] * 8))
    axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
    texture = face_texture(fig.person)
    if hd.view == "front" and texture is not None:
        _paste_face(img, fig, texture)
        return
    cv2.ellipse(img, centre, axes, hd.roll_deg, 0, 360, o.hair_bgr, -1, cv2.LINE_AA, shift=3)
    if hd.view == "back":
        return
    # Side or plain front: the face's skin towards where the head turns.
    off = hd.turn_sign * (1 - max(0.0, hd.cos_to_camera)) * 0.3 * hd.half_w_px
    sc = (round((hd.centre_px[0] + off) * 8), round((hd.centre_px[1] + 0.12 * hd.half_h_px) * 8))
    saxes = (max(1, round(hd.half_w_px * 0.78 * 8)), max(1, round(hd.half_h_px * 0.84 * 8)))
    cv2.ellipse(img, sc, saxes, hd.roll_deg, 0, 360, o.skin_bgr, -1, cv2.LINE_AA, shift=3)
    if fig.masked:
        mc = (sc[0] + round(0.15 * off * 8), sc[1] + round(0.45 * hd.half_h_px * 8))
        maxes = (max(1, round(hd.half_w_px * 0.6 * 8)), max(1, round(hd.half_h_px * 0.35 * 8)))
        cv2.ellipse(
            img, mc, maxes, hd.roll_deg, 0, 360, fig.person.mask_bgr, -1, cv2.LINE_AA, shift=3
        )


def _paste_face(img: ImageBGR, fig: Figure, tex: FaceTexture) -> None:
    """Composite the face photo onto the head: scaled so eye-to-chin is half the head
    height, squeezed and shifted sideways as the head turns away, rolled with the body."""
    hd = fig.head
    o = fig.person.outfit
    cos_a = hd.cos_to_camera
    sin_a = math.sqrt(max(0.0, 1 - cos_a**2))
    # Hair colour first: the back of the head shows beside a turned face.
    if cos_a < 0.97:
        centre = (round(hd.centre_px[0] * 8), round(hd.centre_px[1] * 8))
        axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
        cv2.ellipse(img, centre, axes, hd.roll_deg, 0, 360, o.hair_bgr, -1, cv2.LINE_AA, shift=3)
    scale = hd.half_h_px / tex.eye_to_chin_px
    image, alpha, eye_mid, landmarks = tex.image_bgr, tex.alpha, tex.eye_mid_xy, tex.landmarks_xy
    pre = 1.0
    if scale < 0.6:  # shrink with area averaging first: warpAffine alone would alias
        pre = min(1.0, scale * 1.5)
        image = np.asarray(cv2.resize(image, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA))
        alpha = np.asarray(cv2.resize(alpha, None, fx=pre, fy=pre, interpolation=cv2.INTER_AREA))
        eye_mid, landmarks = eye_mid * pre, landmarks * pre
    s = scale / pre
    squeeze = 0.6 + 0.4 * cos_a
    roll = math.radians(hd.roll_deg)
    rot = np.array([[math.cos(roll), -math.sin(roll)], [math.sin(roll), math.cos(roll)]])
    lin = rot @ np.diag([s * squeeze, s])
    target = hd.centre_px + rot @ np.array([hd.turn_sign * sin_a * 0.3 * hd.half_w_px, 0.0])
    th, tw = image.shape[:2]
    corners = np.array([[0, 0], [tw, 0], [0, th], [tw, th]], np.float64) - eye_mid
    mapped = corners @ lin.T + target
    h, w = img.shape[:2]
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int) + 1
    x0c, y0c, x1c, y1c = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1c <= x0c or y1c <= y0c:
        return
    m = np.hstack([lin, (target - lin @ eye_mid - [x0c, y0c])[:, None]])
    size = (x1c - x0c, y1c - y0c)
    warped = np.asarray(
        cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
        np.float32,
    )
    a = np.asarray(cv2.warpAffine(alpha, m, size, flags=cv2.INTER_LINEAR), np.float32)[..., None]
    roi = img[y0c:y1c, x0c:x1c]
    blended = np.clip(roi.astype(np.float32) * (1 - a) + warped * a + 0.5, 0, 255).astype(np.uint8)
    if fig.masked:
        lm_roi = landmarks @ m[:, :2].T + m[:, 2]
        blended = draw_mask(
            blended, lm_roi.astype(np.float32), fig.person.mask_style, fig.person.mask_bgr
        )
    roi[:] = blended


def face_box(fig: Figure) -> F64 | None:
    """Where a face detector should find the face, (4,) px; None when none shows."""
    hd = fig.head
    if hd.view != "front" or face_texture(fig.person) is None:
        return None
    squeeze = 0.6 + 0.4 * hd.cos_to_camera
    sin_a = math.sqrt(max(0.0, 1 - hd.cos_to_camera**2))
    cx = hd.centre_px[0] + hd.turn_sign * sin_a * 0.3 * hd.half_w_px
    # A detector's face box runs from the brows to the chin and cheek to cheek:
    # about 0.9 of the head's height below the crown and 0.75 of its width.
    half_w = 0.78 * hd.half_w_px * squeeze
    top = hd.centre_px[1] - 0.55 * hd.half_h_px
    bottom = hd.centre_px[1] + hd.half_h_px
    return np.array([cx - half_w, top, cx + half_w, bottom])


def _paint_shadow(img: ImageBGR, fig: Figure) -> None:
    poly = fig.shadow_px
    if not np.all(np.isfinite(poly)):
        return
    h, w = img.shape[:2]
    x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 2, [w, h])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    mask = np.zeros(roi.shape[:2], np.float32)
    pts = np.round((poly - [x0, y0]) * 8).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1.0, cv2.LINE_AA, shift=3)
    mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(1.0, (y1 - y0) / 6)), np.float32)
    roi[:] = (roi.astype(np.float32) * (1 - 0.4 * mask[..., None])).astype(np.uint8)


def paint_figure(img: ImageBGR, fig: Figure) -> None:
    _paint_shadow(img, fig)
    for part in fig.parts:
        _paint_part(img, part)
    _paint_head(img, fig)


def paint_label(label: NDArray[np.uint8], fig: Figure, value: int, offset: F64) -> None:
    """The figure's silhouette in one value, shifted by ``offset`` px (visibility)."""
    one, shift = np.ones(1), offset[None, :]
    for part in fig.parts:
        cv2.fillPoly(label, _part_polys(part, one, shift), value, cv2.LINE_8, shift=3)
    hd = fig.head
    centre = (round((hd.centre_px[0] + offset[0]) * 8), round((hd.centre_px[1] + offset[1]) * 8))
    axes = (max(1, round(hd.half_w_px * 8)), max(1, round(hd.half_h_px * 8)))
    cv2.ellipse(label, centre, axes, hd.roll_deg, 0, 360, value, -1, cv2.LINE_8, shift=3)
