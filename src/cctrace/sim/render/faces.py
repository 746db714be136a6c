"""Face photos painted on the figures: the astronaut, Grace Hopper and tinted LFW faces."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import ImageBGR
from cctrace.sim.render.base import BGR, F64
from cctrace.sim.render.world import ScriptedPerson


@dataclass(frozen=True)
class FaceTexture:
    """A head photo to paste on a figure: image (H, W, 3) uint8, alpha (H, W) float32 in
    [0, 1], the eye midpoint (2,) and the eye-to-chin distance in its pixels, and the five
    YuNet landmarks (5, 2) in its pixels (for drawing masks in the right place)."""

    image_bgr: ImageBGR
    alpha: NDArray[np.float32]
    eye_mid_xy: F64
    eye_to_chin_px: float
    landmarks_xy: F64


def _soft_ellipse(
    shape_hw: tuple[int, int],
    centre: tuple[float, float],
    axes: tuple[float, float],
    feather_px: float,
) -> NDArray[np.float32]:
    h, w = shape_hw
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xs - centre[0]) / axes[0]) ** 2 + ((ys - centre[1]) / axes[1]) ** 2)
    edge = feather_px / max(axes)
    return np.asarray(np.clip((1 - r) / edge + 0.5, 0, 1), np.float32)


def _skimage_data(name: str) -> object:
    """A sample image shipped in scikit-image (a development dependency: only the demo
    and the tests render faces)."""
    from skimage import data

    return getattr(data, name)()


@cache
def _astronaut_texture() -> FaceTexture:
    """The patient: Eileen Collins' NASA portrait as shipped in scikit-image.

    Crop and landmarks were measured on ``astronaut()`` with YuNet (face box
    178-268 x 63-176); the alpha keeps the hair and face inside an ellipse and drops the
    plain studio background by its colour, so the hair outline is the photo's own."""
    full = cv2.cvtColor(np.asarray(_skimage_data("astronaut"), np.uint8), cv2.COLOR_RGB2BGR)
    x0, y0 = 140, 8
    img = np.ascontiguousarray(full[y0:196, x0:316])
    # Hair and cranium in one ellipse, the jaw in a narrower one: a single ellipse
    # down to the chin would take in the backdrop and the suit's collar beside it.
    cranium = _soft_ellipse((img.shape[0], img.shape[1]), (227 - x0, 92 - y0), (76, 76), 4.0)
    jaw = _soft_ellipse((img.shape[0], img.shape[1]), (222 - x0, 128 - y0), (48, 50), 3.0)
    alpha = np.maximum(cranium, jaw)
    background = np.array([200, 192, 198], np.float32)  # the studio backdrop, BGR
    dist = np.linalg.norm(img.astype(np.float32) - background, axis=2)
    keyed = np.clip((dist - 22) / 18, 0, 1).astype(np.float32)
    keyed = np.asarray(cv2.GaussianBlur(keyed, (5, 5), 1.2), np.float32)
    landmarks = np.array(
        [[200.1, 101.8], [247.1, 102.6], [220.4, 124.5], [198.6, 142.8], [239.7, 143.6]]
    ) - [x0, y0]
    eye_mid = landmarks[:2].mean(axis=0)
    return FaceTexture(img, alpha * keyed, eye_mid, 175.0 - y0 - eye_mid[1], landmarks)


@cache
def _grace_hopper_texture() -> FaceTexture:
    """The friend: Grace Hopper's official portrait as shipped in matplotlib.

    Landmarks measured with YuNet (face box 183-353 x 120-333); the ellipse takes the
    cap and face, whose outline then stands out from the figure's shoulders."""
    import matplotlib.cbook as cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    full = np.asarray(cv2.imread(str(path)), np.uint8)
    x0, y0 = 140, 10
    img = np.ascontiguousarray(full[y0:345, x0:385])
    alpha = _soft_ellipse((img.shape[0], img.shape[1]), (262 - x0, 176 - y0), (106, 158), 6.0)
    landmarks = np.array(
        [[227.1, 193.3], [307.8, 195.4], [266.5, 240.0], [228.5, 267.9], [302.2, 269.6]]
    ) - [x0, y0]
    eye_mid = landmarks[:2].mean(axis=0)
    return FaceTexture(img, alpha, eye_mid, 333.0 - y0 - eye_mid[1], landmarks)


@cache
def _lfw_faces() -> NDArray[np.float32]:
    return np.asarray(_skimage_data("lfw_subset"), np.float32)[:100]  # (100, 25, 25), faces only


@cache
def _lfw_texture(index: int, skin_bgr: BGR, hair_bgr: BGR) -> FaceTexture:
    """A bystander's head: a 25x25 LFW face (eyes near row 9, chin near row 24), scaled
    up, tinted to the skin colour and framed by hair and the head's outline."""
    scale = 2.0
    face = cv2.resize(
        _lfw_faces()[index % 100], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC
    )
    h, w = 84, 64
    cx, eye_y = 32.0, 40.0
    img = np.zeros((h, w, 3), np.float32)
    img[:] = hair_bgr
    skin = np.asarray(skin_bgr, np.float32)
    head = _soft_ellipse((h, w), (cx, eye_y + 3), (22, 30), 2.0)
    img = img * (1 - head[..., None]) + skin * head[..., None]
    # Tint the grey face to the skin tone; keep its own shading (eyes, brows, mouth).
    tinted = (face / max(float(face.mean()), 1e-3))[..., None] * skin
    fx0, fy0 = cx - 12 * scale, eye_y - 9 * scale
    canvas = np.zeros((h, w, 3), np.float32)
    fh, fw = face.shape
    canvas[round(fy0) : round(fy0) + fh, round(fx0) : round(fx0) + fw] = tinted
    inner = _soft_ellipse((h, w), (cx, eye_y + 6), (18, 24), 5.0)
    img = img * (1 - inner[..., None]) + canvas * inner[..., None]
    # A fringe: hair over the top of the forehead.
    fringe = _soft_ellipse((h, w), (cx, eye_y - 20), (24, 12), 2.0)
    img = img * (1 - fringe[..., None]) + np.asarray(hair_bgr, np.float32) * fringe[..., None]
    alpha = _soft_ellipse((h, w), (cx, eye_y - 2), (25, 36), 2.0)
    img_u8 = np.clip(img, 0, 255).astype(np.uint8)
    lm = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 5.0], [-4.0, 9.5], [4.0, 9.5]]) * scale
    lm = lm + np.array([cx, eye_y])
    return FaceTexture(img_u8, alpha, np.array([cx, eye_y]), 15.0 * scale, lm)


def face_texture(person: ScriptedPerson) -> FaceTexture | None:
    if person.face == "astronaut":
        return _astronaut_texture()
    if person.face == "grace_hopper":
        return _grace_hopper_texture()
    if person.face == "lfw":
        return _lfw_texture(person.lfw_index, person.outfit.skin_bgr, person.outfit.hair_bgr)
    return None
