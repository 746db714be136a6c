"""What the simulated cameras record of a true presence: tracker pieces with floor
jitter, misses, occlusions, breaks and checkpoint splits; faces and appearance vectors
drawn around each person's centres; the hour-long videos they belong to."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from cctrace.core.types import Sighting
from cctrace.sim.world import (
    CHECKPOINT_S,
    CNN_DIM,
    COLOUR_BINS_PER_HALF,
    F32,
    F64,
    FACE_SIGMA_RANGE,
    I64,
    MASKED_FACE_SIGMA_FACTOR,
    SIM_PATH_SCHEME,
    SIM_VIDEO_PREFIX,
    VIDEO_S,
    NoiseModel,
    SimCamera,
    SimConfig,
    SimVideo,
    video_hours,
)


def observe_presence(
    rng: np.random.Generator, k: I64, xy: F64, noise: NoiseModel, c: SimConfig
) -> list[tuple[F64, F64]]:
    """One true presence seen by the tracker: ``(t (K,), xy (K, 2))`` per track.

    Misses and occlusions drop detections; a gap over ``max_gap_s``, an identity switch
    and an ingestion checkpoint (every `CHECKPOINT_S` of video) end a track; tracks under
    three detections are dropped.
    """
    t = c.start_utc_s + k / c.path_hz
    duration_min = (t[-1] - t[0]) / 60 if len(t) else 0.0
    seen = rng.random(len(t)) >= noise.miss_rate
    for _ in range(int(rng.poisson(noise.occlusions_per_min * duration_min))):
        start = rng.uniform(t[0], t[-1])
        seen &= ~((t >= start) & (t < start + rng.uniform(*noise.occlusion_s)))
    breaks = np.sort(
        rng.uniform(t[0], t[-1], int(rng.poisson(noise.breaks_per_min * duration_min)))
    )
    chunk = np.floor((t - c.start_utc_s) / CHECKPOINT_S).astype(np.int64)
    ts, ps = t[seen], xy[seen]
    if not len(ts):
        return []
    segment = np.searchsorted(breaks, ts) + chunk[seen] * (len(breaks) + 1)
    cut = np.flatnonzero((np.diff(ts) > noise.max_gap_s) | (np.diff(segment) != 0)) + 1
    out = []
    for part_t, part_xy in zip(np.split(ts, cut), np.split(ps, cut), strict=True):
        if len(part_t) < 3:
            continue
        bias = rng.normal(0, noise.track_bias_m, 2) if noise.track_bias_m > 0 else np.zeros(2)
        jitter = (
            rng.normal(0, noise.position_jitter_m, part_xy.shape)
            if noise.position_jitter_m > 0
            else 0.0
        )
        out.append((part_t, part_xy + bias + jitter))
    return out


def face_photos(rng: np.random.Generator, centres: F64, sigma_scale: float, masked: bool) -> F32:
    """One embedding per centre row (R, 128): normalise(centre + sigma * n), |n| ~ 1,
    sigma drawn in `FACE_SIGMA_RANGE` times ``sigma_scale`` (x1.3 when masked)."""
    c = np.atleast_2d(centres)
    sigma = rng.uniform(*FACE_SIGMA_RANGE, size=(len(c), 1)) * sigma_scale
    if masked:
        sigma = sigma * MASKED_FACE_SIGMA_FACTOR
    noise = rng.normal(size=c.shape) / math.sqrt(c.shape[1])
    return np.asarray(unit(c + sigma * noise), np.float32)


def appearance_centres(rng: np.random.Generator, n: int) -> tuple[F64, F64]:
    """Per-person CNN (n, 1280) and colour histogram (n, 2, 20) centres.

    The CNN centre is a shared positive base plus a person part, so two people have a
    cosine about 0.7 (ReLU features, as measured); clothing colours mix a shared dark
    and grey mass with one to three person-specific bins per body half.
    """
    base = rng.gamma(0.5, 1.0, CNN_DIM)
    person = rng.gamma(0.5, 1.0, (n, CNN_DIM))
    cnn = base + person
    hist = np.zeros((n, 2, COLOUR_BINS_PER_HALF))
    dark = np.zeros(COLOUR_BINS_PER_HALF)
    dark[-4:] = (0.5, 0.25, 0.15, 0.1)  # the achromatic bins: black, dark grey, grey, white
    for i in range(n):
        for half in range(2):
            own = np.zeros(COLOUR_BINS_PER_HALF)
            bins = rng.choice(COLOUR_BINS_PER_HALF, size=int(rng.integers(1, 4)), replace=False)
            own[bins] = rng.dirichlet(np.ones(len(bins)))
            w = rng.uniform(0.2, 1.0)  # some people dress all in black or grey
            hist[i, half] = w * dark + (1 - w) * own
    return cnn, hist


def appearance_vector(
    rng: np.random.Generator, cnn_centre: F64, colour_centre: F64, noise: NoiseModel
) -> F32:
    """A track's mean appearance vector (1320,): CNN and colour, each non-negative, unit."""
    cnn = np.maximum(cnn_centre + noise.appearance_sigma * rng.gamma(0.5, 1.0, CNN_DIM), 0.0)
    halves = []
    for half in range(2):
        mix = rng.dirichlet(np.full(COLOUR_BINS_PER_HALF, 0.5))
        h = (1 - noise.colour_mix) * colour_centre[half] + noise.colour_mix * mix
        halves.append(np.sqrt(h / h.sum()))
    colour = np.concatenate(halves) / math.sqrt(2)
    return np.asarray(np.concatenate([unit(cnn), colour]), np.float32)


def make_sighting(
    rng: np.random.Generator,
    video: SimVideo,
    track_id: int,
    t: F64,
    xy: F64,
    masked: bool,
    face_centre: F64,
    cnn_centre: F64,
    colour_centre: F64,
    noise: NoiseModel,
    c: SimConfig,
) -> Sighting:
    face_count = 0
    quality = 0.0
    embedding = None
    mask_ratio = None
    if rng.random() < c.face_visible_fraction:
        face_count = max(1, int(rng.binomial(len(t), rng.uniform(0.1, 0.6))))
        quality = float(rng.uniform(0.55, 0.98))
        # Better faces (higher detector score) sit closer to the centre.
        scale = noise.face_sigma_scale * (1.25 - 0.5 * (quality - 0.55) / 0.43)
        embedding = face_photos(rng, face_centre[None], scale, masked)[0]
        p_masked = 1 - noise.mask_flip_rate if masked else noise.mask_flip_rate
        mask_ratio = float(rng.binomial(face_count, p_masked)) / face_count
    return Sighting(
        sighting_id=sim_sighting_id(video.video_id, track_id),
        camera_id=video.camera_id,
        video_id=video.video_id,
        track_id=track_id,
        t_start_s=float(t[0]),
        t_end_s=float(t[-1]),
        path_t_s=np.asarray(t, np.float64),
        path_floor_xy_m=np.asarray(xy, np.float32),
        path_approximate=False,
        face_count=face_count,
        face_quality=round(quality, 4),
        face_embedding=embedding,
        appearance=appearance_vector(rng, cnn_centre, colour_centre, noise),
        mask_ratio=mask_ratio,
        thumbnail_jpeg=None,
    )


def sim_sighting_id(video_id: str, track_id: int) -> str:
    """The same form ingestion uses (`cctrace.ingest.aggregate.sighting_id`)."""
    return f"{video_id[:16]}-{track_id:06d}"


def sim_video_id(seed: int, camera_id: str, hour: int) -> str:
    """``sim-`` and 60 hex digits: as long as a real (SHA-256) video id, never equal to one."""
    digest = hashlib.sha256(f"cctrace-sim/{seed}/{camera_id}/{hour}".encode()).hexdigest()
    return SIM_VIDEO_PREFIX + digest[:60]


def hour_videos(cameras: tuple[SimCamera, ...], c: SimConfig) -> tuple[SimVideo, ...]:
    out = []
    for cam in cameras:
        for h in range(video_hours(c)):
            vid = sim_video_id(c.seed, cam.camera_id, h)
            out.append(
                SimVideo(
                    vid,
                    cam.camera_id,
                    f"{SIM_PATH_SCHEME}{cam.camera_id}/{h:04d}",
                    c.start_utc_s + h * VIDEO_S,
                    VIDEO_S,
                )
            )
    return tuple(out)


def unit(v: F64) -> F64:
    v = np.asarray(v, np.float64)
    return np.asarray(v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12))
