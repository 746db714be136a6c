"""Synthetic people for trace tests: faces, looks, paths and sightings with known geometry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Sighting
from cctrace.vision.appearance import CNN_DIM, COLOUR_DIM

F32 = NDArray[np.float32]
XY = Callable[[NDArray[np.float64]], NDArray[np.float64]]


def unit(v: NDArray[np.floating]) -> F32:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), np.float32)


def identity(seed: int) -> F32:
    """A person's true face direction (128,)."""
    return unit(np.random.default_rng(seed).standard_normal(128))


def face_photo(identity_vec: F32, seed: int, sigma: float = 0.06) -> F32:
    """One noisy face embedding of a person (pairwise cosine about 0.7, as SFace gives
    on real photos of one person)."""
    noise = np.random.default_rng([seed, 1]).standard_normal(128)  # apart from identity()
    return unit(identity_vec + sigma * noise)


def look(seed: int) -> F32:
    """A person's clothing: an appearance vector (CNN part, colour part), non-negative."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [unit(np.abs(rng.standard_normal(CNN_DIM))), unit(np.abs(rng.standard_normal(COLOUR_DIM)))]
    )


def seen_look(base: F32, seed: int, noise: float = 0.05) -> F32:
    """The same clothing seen once more (a little noise on each part)."""
    rng = np.random.default_rng([seed, 2])  # a stream apart from look()
    cnn = unit(base[:CNN_DIM] + noise * np.abs(rng.standard_normal(CNN_DIM)) / np.sqrt(CNN_DIM))
    col = unit(
        base[CNN_DIM:] + noise * np.abs(rng.standard_normal(COLOUR_DIM)) / np.sqrt(COLOUR_DIM)
    )
    return np.concatenate([cnn, col]).astype(np.float32)


def at(x: float, y: float, vx: float = 0.0, t0: float = 0.0) -> XY:
    """A path: at (x, y) at ``t0``, moving ``vx`` m/s along x."""

    def xy(t: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.stack([x + vx * (t - t0), np.full_like(t, y)], axis=1)

    return xy


def video_of(camera_id: str) -> str:
    return hashlib.sha256(camera_id.encode()).hexdigest()


def sighting(
    sid: str,
    camera_id: str,
    t_start_s: float,
    t_end_s: float,
    xy: XY,
    *,
    face: F32 | None = None,
    appearance: F32 | None = None,
    mask_ratio: float | None = None,
    face_count: int | None = None,
    approximate: bool = False,
    step_s: float = 1.0,
    track_id: int = 0,
) -> Sighting:
    t = np.arange(t_start_s, t_end_s + 1e-6, step_s, dtype=np.float64)
    if face_count is None:
        face_count = 0 if face is None and mask_ratio is None else 10
    return Sighting(
        sighting_id=sid,
        camera_id=camera_id,
        video_id=video_of(camera_id),
        track_id=track_id,
        t_start_s=float(t[0]),
        t_end_s=float(t[-1]),
        path_t_s=t,
        path_floor_xy_m=xy(t).astype(np.float32),
        path_approximate=approximate,
        face_count=face_count,
        face_quality=0.8 if face is not None else 0.0,
        face_embedding=face,
        appearance=appearance,
        mask_ratio=mask_ratio,
        thumbnail_jpeg=None,
    )
