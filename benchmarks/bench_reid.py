"""Clothing across cameras: rank-1 and mAP of appearance descriptors, old and new, side by side.

We hold no set of real people seen by two cameras, so this builds one from what we have
and says what it is. Identities: the six passages of the shared video
(``one-by-one-person-detection.mp4``, see bench_appearance.py: a passage is one person).
Boxes and person masks come from the difference to the empty room (no model involved).

- Camera A (the gallery): every ``--step``-th frame of the *first* half of each passage,
  as filmed.
- Camera B (the queries): frames of the *second* half of each passage (other poses: people
  walk in, then stand at the table or leave), filmed by a simulated other camera whose
  conditions are drawn once per seed: a white balance / colour temperature gain per
  channel, a gamma and an exposure gain, a lower resolution (the person 55-75 % as tall,
  so the crop is smaller and softer), a blur, JPEG at quality 35-70, a box that is looser
  or tighter and off-centre by up to 12 % per crop, and another background: the person's
  pixels are pasted onto a frame of one of the intel GIF scenes (street, store aisle,
  worker zone, classroom).
- Distractors in the gallery: every person NanoDet finds in the intel GIF scenes (other
  people, other cameras), so that the gallery holds more than six people.

Each query crop is ranked against every gallery crop; rank-1 is the share of queries whose
best gallery crop is the same person, mAP the mean average precision over the gallery.
Track-level rank-1 averages each passage's crops per camera first (what a trace compares).
With 6 people (plus distractors) chance is far higher than on 100 people, and both
cameras film the same bodies minutes apart, so the figures are not comparable to a
held-out 100-person set; what they do compare is old against new under the same changes
of camera, seed for seed.

Descriptors: the shipped one (`cctrace.vision.appearance`: 0.3 CNN + 0.7 colour, and each
part alone) and the new one (`cctrace.vision.reid`: stripe colour + texture over the
person mask), also without the mask. ``--sweep`` adds rank-1 of weight mixes of all four
parts; the weights in `cctrace.vision.reid` were chosen from it on seeds 100-104, and the
reported figures use seeds 0-4:

    .venv/bin/python -m benchmarks.bench_reid --seeds 5 --first-seed 100 --sweep
    .venv/bin/python -m benchmarks.bench_reid --seeds 5
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from benchmarks.bench_appearance import (
    EMPTY_FRAMES,
    all_frames,
    background_boxes,
    keep_whole,
    passages,
)
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.video.frames import iter_frames
from cctrace.vision.appearance import OnnxAppearanceEmbedder, colour_descriptors, l2_normalise
from cctrace.vision.reid import ReidDescriber, ReidDescriptors, reid_similarity_matrix

GIFS = Path("/work/shared/data/intel-sample-videos")
GIF_SCENES = (
    "people-detection.gif",
    "store-aisle-detection.gif",
    "worker-zone-detection.gif",
    "classroom.gif",
)
DIFF_THRESHOLD = 40


@dataclass(frozen=True)
class Camera:
    gain_bgr: tuple[float, float, float]
    gamma: float
    scale: float
    aspect: float
    """Width change of another viewing angle (a camera higher up or to the side)."""
    blur_sigma: float
    jpeg_quality: int
    background: int


def draw_camera(rng: np.random.Generator, n_backgrounds: int) -> Camera:
    warm = rng.uniform(-0.25, 0.25)  # + warmer (more red, less blue), - cooler
    gain = (1.0 - warm, 1.0 + rng.uniform(-0.08, 0.08), 1.0 + warm)
    exposure = rng.uniform(0.7, 1.3)
    return Camera(
        gain_bgr=(gain[0] * exposure, gain[1] * exposure, gain[2] * exposure),
        gamma=float(rng.uniform(0.75, 1.35)),
        scale=float(rng.uniform(0.55, 0.75)),
        aspect=float(rng.uniform(0.8, 1.2)),
        blur_sigma=float(rng.uniform(0.3, 1.2)),
        jpeg_quality=int(rng.integers(35, 71)),
        background=int(rng.integers(n_backgrounds)),
    )


def person_mask(frame: ImageBGR, bg: NDArray[np.float32]) -> NDArray[np.uint8]:
    diff = np.abs(frame.astype(np.float32) - bg).max(axis=2)
    mask = (diff > DIFF_THRESHOLD).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    return np.asarray(mask, np.uint8)


def film(
    frame: ImageBGR,
    mask: NDArray[np.uint8],
    box: FloatArray,
    cam: Camera,
    backgrounds: list[ImageBGR],
    rng: np.random.Generator,
) -> ImageBGR:
    """The crop camera B would give of the person in ``box`` (see the module docstring)."""
    h, w = frame.shape[:2]
    back = cv2.resize(backgrounds[cam.background], (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.0)[..., None]
    image = (frame.astype(np.float32) * soft + back.astype(np.float32) * (1 - soft)) / 255.0
    image = np.clip(image * np.array(cam.gain_bgr, np.float32), 0, 1) ** cam.gamma
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    grow = rng.uniform(-0.05, 0.15, 2)
    shift = rng.uniform(-0.12, 0.12, 2)
    cx, cy = (x1 + x2) / 2 + shift[0] * bw, (y1 + y2) / 2 + shift[1] * bh * 0.5
    bw, bh = bw * (1 + grow[0]), bh * (1 + grow[1])
    left, top = max(int(cx - bw / 2), 0), max(int(cy - bh / 2), 0)
    right, bottom = min(int(cx + bw / 2), w), min(int(cy + bh / 2), h)
    crop = (image[top:bottom, left:right] * 255).astype(np.uint8)
    small = (
        max(int(crop.shape[1] * cam.scale * cam.aspect), 8),
        max(int(crop.shape[0] * cam.scale), 16),
    )
    crop = cv2.resize(crop, small, interpolation=cv2.INTER_AREA)
    crop = cv2.GaussianBlur(crop, (0, 0), cam.blur_sigma)
    if rng.random() < 0.5:  # seen from the other side: a mirror is the cheapest other view
        crop = np.ascontiguousarray(crop[:, ::-1])
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, cam.jpeg_quality])
    assert ok
    return np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), np.uint8)


def gif_frames() -> list[list[ImageBGR]]:
    return [[f.image_bgr for f in iter_frames(GIFS / name)] for name in GIF_SCENES]


def distractor_crops(scenes: list[list[ImageBGR]], every: int = 6) -> list[ImageBGR]:
    """Person crops NanoDet finds (score >= 0.5, at least 48 px tall) in the GIF scenes."""
    from cctrace.vision.persons import create_person_detector

    detector = create_person_detector(None)
    crops: list[ImageBGR] = []
    for frames in scenes:
        for image in frames[::every]:
            dets: Detections = detector.detect(image)
            for (x1, y1, x2, y2), score in zip(dets.box_xyxy, dets.score, strict=True):
                if score >= 0.5 and y2 - y1 >= 48:
                    crops.append(image[int(y1) : int(y2), int(x1) : int(x2)].copy())
    return crops


def average_precision(sim_row: FloatArray, relevant: NDArray[np.bool_]) -> float:
    order = np.argsort(-sim_row, kind="stable")
    hits = relevant[order]
    if not hits.any():
        return 0.0
    precision = np.cumsum(hits) / (np.arange(len(hits)) + 1)
    return float(precision[hits].mean())


def scores(sim: FloatArray, q_id: NDArray[np.intp], g_id: NDArray[np.intp]) -> tuple[float, float]:
    """(rank-1, mAP) of an (Q, G) similarity matrix."""
    best = np.argmax(sim, axis=1)
    rank1 = float((g_id[best] == q_id).mean())
    m_ap = float(np.mean([average_precision(sim[i], g_id == q_id[i]) for i in range(len(q_id))]))
    return rank1, m_ap


def track_rank1(sim: FloatArray, q_id: NDArray[np.intp], g_id: NDArray[np.intp]) -> str:
    """Passages' mean similarity (queries of one passage against gallery of each)."""
    people = np.unique(q_id)
    hits = 0
    for p in people:
        row = sim[q_id == p]
        per_person = [row[:, g_id == g].mean() for g in np.unique(g_id)]
        hits += int(np.unique(g_id)[int(np.argmax(per_person))] == p)
    return f"{hits}/{len(people)}"


def old_matrix(
    cnn_q: FloatArray, col_q: FloatArray, cnn_g: FloatArray, col_g: FloatArray, w: float
) -> FloatArray:
    out: FloatArray = (w * cnn_q @ cnn_g.T + (1 - w) * col_q @ col_g.T).astype(np.float32)
    return out


def weight_grid() -> list[tuple[float, float, float, float]]:
    """Mixes (old CNN, old colour, stripe colour, stripe texture) on a 0.1 grid, sum 1,
    with the old parts at most 0.3 together (more only lowered rank-1 in a first sweep)."""
    out: list[tuple[float, float, float, float]] = []
    for a in range(4):
        for b in range(4 - a):
            for c in range(11 - a - b):
                out.append((a / 10, b / 10, c / 10, (10 - a - b - c) / 10))
    return out


def whole(crop: ImageBGR) -> Detections:
    h, w = crop.shape[:2]
    return Detections(np.array([[0, 0, w, h]], np.float32), np.ones(1, np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(description="cross-camera appearance benchmark")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--step", type=int, default=6, help="every n-th frame of a passage")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--no-distractors", action="store_true")
    parser.add_argument(
        "--sweep", action="store_true", help="also rank-1 of weight mixes on a 0.1 grid"
    )
    args = parser.parse_args()

    frames = all_frames()
    height, width = frames[0].shape[:2]
    empty = [frames[i] for a, b in EMPTY_FRAMES for i in range(a, b, 4)]
    bg = np.median(np.stack(empty).astype(np.float32), axis=0)
    raw = background_boxes(frames)
    boxes = keep_whole(raw, width, height)
    runs = passages(list(raw))
    gallery_items: list[tuple[int, int]] = []  # (frame, person)
    query_items: list[tuple[int, int]] = []
    for p, (a, b) in enumerate(runs):
        mid = (a + b) // 2
        gallery_items += [(i, p) for i in range(a, mid, args.step) if i in boxes]
        query_items += [(i, p) for i in range(mid, b + 1, args.step) if i in boxes]
    scenes = gif_frames()
    backgrounds = [s[0] for s in scenes]
    distractors = [] if args.no_distractors else distractor_crops(scenes)
    print(
        f"{len(runs)} people; gallery {len(gallery_items)} crops + {len(distractors)} "
        f"distractors; {len(query_items)} queries per seed"
    )

    cnn = OnnxAppearanceEmbedder()
    new = ReidDescriber()
    unmasked = ReidDescriber(masked=False)
    gallery_crops = [frames[i][_slice(boxes[i])] for i, _ in gallery_items] + distractors
    g_id = np.array([p for _, p in gallery_items] + [-1] * len(distractors), np.intp)
    t0 = time.perf_counter()
    g_cnn = cnn.embed_crops(gallery_crops)
    g_col = np.concatenate([colour_descriptors(c, whole(c)) for c in gallery_crops])
    t_old = time.perf_counter() - t0
    t0 = time.perf_counter()
    g_new = new.describe_crops(gallery_crops)
    t_new = time.perf_counter() - t0
    g_unm = unmasked.describe_crops(gallery_crops)

    rows: dict[str, list[tuple[float, float, str]]] = {}
    sweep: dict[tuple[float, float, float, float], list[float]] = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rng = np.random.default_rng(seed)
        cam = draw_camera(rng, len(backgrounds))
        q_crops = [
            film(frames[i], person_mask(frames[i], bg), boxes[i], cam, backgrounds, rng)
            for i, _ in query_items
        ]
        q_id = np.array([p for _, p in query_items], np.intp)
        q_cnn = cnn.embed_crops(q_crops)
        q_col = np.concatenate([colour_descriptors(c, whole(c)) for c in q_crops])
        q_new = new.describe_crops(q_crops)
        q_unm = unmasked.describe_crops(q_crops)
        matrices = {
            "old combined (0.3 CNN + 0.7 colour)": old_matrix(q_cnn, q_col, g_cnn, g_col, 0.3),
            "old colour part": old_matrix(q_cnn, q_col, g_cnn, g_col, 0.0),
            "old CNN part": old_matrix(q_cnn, q_col, g_cnn, g_col, 1.0),
            "new without mask (stripes, centre-weighted)": reid_similarity_matrix(q_unm, g_unm),
            "new stripe colour part (masked)": _part(q_new, g_new, "stripe_colour"),
            "new stripe texture part (masked)": _part(q_new, g_new, "stripe_texture"),
            "new (masked stripes: appearance match)": reid_similarity_matrix(q_new, g_new),
        }
        print(f"seed {seed}: {cam}")
        for name, sim in matrices.items():
            r1, m_ap = scores(sim, q_id, g_id)
            rows.setdefault(name, []).append((r1, m_ap, track_rank1(sim, q_id, g_id)))
        if args.sweep:
            old_cnn, old_col = q_cnn @ g_cnn.T, q_col @ g_col.T
            for mix in weight_grid():
                sim = mix[0] * old_cnn + mix[1] * old_col
                sim += reid_similarity_matrix(
                    q_new, g_new, {"stripe_colour": mix[2], "stripe_texture": mix[3]}
                )
                best = np.argmax(sim, axis=1)
                sweep.setdefault(mix, []).append(float((g_id[best] == q_id).mean()))
    print(f"\n{args.seeds} seeds, {len(query_items)} queries each")
    print("| descriptor | rank-1 mean (min-max) | mAP mean (min-max) | track rank-1 per seed |")
    print("|---|---|---|---|")
    for name, vals in rows.items():
        r1s = np.array([v[0] for v in vals])
        maps = np.array([v[1] for v in vals])
        print(
            f"| {name} | {100 * r1s.mean():.1f} % ({100 * r1s.min():.0f}-{100 * r1s.max():.0f}) "
            f"| {100 * maps.mean():.1f} % ({100 * maps.min():.0f}-{100 * maps.max():.0f}) "
            f"| {' '.join(v[2] for v in vals)} |"
        )
    if sweep:
        print("weight mixes (old cnn, old colour, stripe colour, stripe texture): mean rank-1")
        for mix, found in sorted(sweep.items(), key=lambda kv: -float(np.mean(kv[1])))[:12]:
            print(f"  {mix}: {100 * float(np.mean(found)):.1f} %")
    n = len(gallery_crops)
    print(
        f"describe {n} gallery crops: old {1000 * t_old / n:.2f} ms/crop, "
        f"new {1000 * t_new / n:.2f} ms/crop"
    )


def _slice(box: FloatArray) -> tuple[slice, slice]:
    x1, y1, x2, y2 = (int(v) for v in box)
    return slice(y1, y2), slice(x1, x2)


def _part(q: ReidDescriptors, g: ReidDescriptors, name: str) -> FloatArray:
    a, b = getattr(q, name), getattr(g, name)
    out: FloatArray = (l2_normalise(a) @ l2_normalise(b).T).astype(np.float32)
    return out


if __name__ == "__main__":
    main()
