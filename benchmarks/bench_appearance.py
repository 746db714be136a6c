"""How well appearance descriptors tell people apart, and how fast they are, on real video.

Video: the shared ``one-by-one-person-detection.mp4`` (768x432, 10 fps, 1394 frames).
Six people cross the same room one at a time, each stands a while at a table, then
leaves; nobody returns (checked by eye on contact sheets). A run of frames with a person,
cut by a gap with nobody, is one *passage*, so passage = identity here; in time order they
are A (grey cardigan, fair hair), B (man, black jacket), C (long fair hair, black), D (man,
black T-shirt), E (grey jumper, dark hair), F (man, grey shirt, jeans).

Person boxes come from ``--boxes``: ``nanodet`` (cctrace's person detector, the highest
score box per frame) or ``background`` (difference from a median of frames checked by eye
to be empty, largest blob: tight boxes on this static camera, no model involved).
``auto`` takes nanodet when ``cctrace.vision.persons`` imports. Boxes that touch the left,
right or bottom edge (people half in view) are dropped.

Reported, for the CNN part alone, the colour part alone and the combined similarity at
CNN weights 0, 0.1, ..., 1:
- within-passage (pairs at least ``--min-gap-frames`` apart) and between-passage
  similarity: mean and percentiles;
- EER, TPR at 1% FPR, and the threshold at the EER;
- track level: each passage split into two halves in time, each half averaged
  (``AppearanceDescriptor.mean``); rank-1 = the nearest other half is the same passage;
- box jitter: similarity of a box with the same box shifted/scaled by up to 10%;
- speed: ms per crop for the CNN at batch sizes 1, 8, 16, 32 and for the colour part.

    .venv/bin/python benchmarks/bench_appearance.py --json /tmp/bench_appearance.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.video.frames import iter_frames
from cctrace.vision.appearance import (
    AppearanceDescriptor,
    OnnxAppearanceEmbedder,
    colour_descriptors,
    crop_persons,
)

VIDEO = Path("/work/shared/data/intel-sample-videos/one-by-one-person-detection.mp4")
EMPTY_FRAMES = (
    (0, 50),
    (210, 222),
    (460, 495),
    (710, 735),
    (875, 912),
    (1208, 1226),
    (1370, 1394),
)
"""[start, stop) frame ranges with nobody in view, checked by eye on contact sheets."""
EXPECTED_PASSAGES = 6
"""Six different people, one passage each (checked by eye)."""
PASSAGE_GAP_FRAMES = 8
"""Frames without a box that close a passage (0.8 s at 10 fps)."""
MIN_PASSAGE_FRAMES = 10
EDGE_PX = 2
MIN_BOX_HEIGHT_PX = 150
DIFF_THRESHOLD = 40
MIN_BLOB_AREA_PX = 6000
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))


@dataclass(frozen=True)
class Sample:
    frame: int
    passage: int
    box_xyxy: FloatArray  # (4,)


@dataclass(frozen=True)
class Separation:
    method: str
    within_mean: float
    within_p5: float
    within_p50: float
    between_mean: float
    between_p50: float
    between_p95: float
    eer: float
    eer_threshold: float
    tpr_at_fpr_1pct: float
    threshold_at_fpr_1pct: float
    """The lowest threshold at which at most 1 % of different-person pairs pass."""
    worst_pair_eer: float
    """The highest EER over the 15 two-person subsets: the pair of people mixed up most."""
    worst_pair: str
    track_rank1: str
    jitter_mean: float


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def all_frames() -> list[ImageBGR]:
    return [f.image_bgr for f in iter_frames(VIDEO)]


def background_boxes(frames: list[ImageBGR]) -> dict[int, FloatArray]:
    """Largest foreground blob per frame against a median of the empty frames."""
    empty = [frames[i] for a, b in EMPTY_FRAMES for i in range(a, b, 4)]
    bg = np.median(np.stack(empty).astype(np.float32), axis=0)
    kernel_open = np.ones((3, 3), np.uint8)
    kernel_close = np.ones((15, 15), np.uint8)
    boxes: dict[int, FloatArray] = {}
    for i, image in enumerate(frames):
        diff = np.abs(image.astype(np.float32) - bg).max(axis=2)
        mask = (diff > DIFF_THRESHOLD).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel_open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel_close)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        if n < 2:
            continue
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        x, y, w, h, area = (int(v) for v in stats[k])
        if area >= MIN_BLOB_AREA_PX:
            boxes[i] = np.array([x, y, x + w, y + h], np.float32)
    return boxes


def nanodet_boxes(frames: list[ImageBGR]) -> dict[int, FloatArray]:
    from cctrace.vision.persons import create_person_detector  # type: ignore[import-not-found, unused-ignore]

    detector = create_person_detector(None)
    boxes: dict[int, FloatArray] = {}
    for i, image in enumerate(frames):
        dets: Detections = detector.detect(image)
        if len(dets):
            boxes[i] = dets.box_xyxy[int(np.argmax(dets.score))]
    return boxes


def keep_whole(boxes: dict[int, FloatArray], width: int, height: int) -> dict[int, FloatArray]:
    out = {}
    for i, (x1, y1, x2, y2) in boxes.items():
        inside = x1 > EDGE_PX and x2 < width - EDGE_PX and y2 < height - EDGE_PX
        if inside and y2 - y1 >= MIN_BOX_HEIGHT_PX:
            out[i] = np.array([x1, y1, x2, y2], np.float32)
    return out


def passages(frames_with_box: list[int]) -> list[tuple[int, int]]:
    """[first, last] frame ranges of runs with a box, split at gaps >= PASSAGE_GAP_FRAMES."""
    runs: list[list[int]] = []
    for i in sorted(frames_with_box):
        if runs and i - runs[-1][1] < PASSAGE_GAP_FRAMES:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [(a, b) for a, b in runs if b - a + 1 >= MIN_PASSAGE_FRAMES]


def eer_and_tpr(
    genuine: FloatArray, impostor: FloatArray, fpr_target: float = 0.01
) -> tuple[float, float, float, float]:
    """(EER, threshold at the EER, TPR at ``fpr_target`` FPR, the lowest threshold whose
    FPR is at most ``fpr_target``) of similarity scores."""
    thresholds = np.unique(np.concatenate([genuine, impostor]))
    fpr = np.array([(impostor >= t).mean() for t in thresholds])
    fnr = np.array([(genuine < t).mean() for t in thresholds])
    k = int(np.argmin(np.abs(fpr - fnr)))
    eer = float((fpr[k] + fnr[k]) / 2)
    ok = fpr <= fpr_target
    tpr = float((1 - fnr[ok]).max()) if ok.any() else 0.0
    thr_at = float(thresholds[ok].min()) if ok.any() else float("inf")
    return eer, float(thresholds[k]), tpr, thr_at


def jittered(box: FloatArray, rng: np.random.Generator, width: int, height: int) -> FloatArray:
    """The box shifted by up to 10% of its size and each side scaled by up to 10%."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx = (x1 + x2) / 2 + rng.uniform(-0.1, 0.1) * w
    cy = (y1 + y2) / 2 + rng.uniform(-0.1, 0.1) * h
    w *= rng.uniform(0.9, 1.1)
    h *= rng.uniform(0.9, 1.1)
    out = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)
    return np.clip(out, 0, [width, height, width, height]).astype(np.float32)


def describe_all(
    embedder: OnnxAppearanceEmbedder,
    frames: list[ImageBGR],
    samples: list[Sample],
    boxes: list[FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """(S, 1280) CNN and (S, 40) colour descriptors of one box per sample."""
    cnn, colour = [], []
    for start in range(0, len(samples), 32):
        chunk = range(start, min(start + 32, len(samples)))
        crops = [crop_persons(frames[samples[j].frame], boxes[j])[0] for j in chunk]
        cnn.append(embedder.embed_crops(crops))
        for j in chunk:
            dets = Detections(boxes[j][None], np.ones(1, np.float32))
            colour.append(colour_descriptors(frames[samples[j].frame], dets))
    return np.concatenate(cnn), np.concatenate(colour)


def track_rank1(sim: FloatArray, halves: NDArray[np.intp]) -> str:
    """'k/n' halves whose nearest other half belongs to the same passage."""
    s = sim.copy()
    np.fill_diagonal(s, -np.inf)
    nearest = np.argmax(s, axis=1)
    hits = int((halves[nearest] == halves).sum())
    return f"{hits}/{len(halves)}"


def speed(embedder: OnnxAppearanceEmbedder, crops: list[ImageBGR]) -> dict[str, float]:
    out: dict[str, float] = {}
    embedder.embed_crops(crops[:4])  # warm-up: ORT allocates its arenas on the first run
    for batch in (1, 8, 16, 32):
        items = (crops * 4)[:batch]
        runs = max(3, 64 // batch)
        t0 = time.perf_counter()
        for _ in range(runs):
            embedder.embed_crops(items)
        out[f"cnn_ms_per_crop_batch{batch}"] = 1000 * (time.perf_counter() - t0) / runs / batch
    t0 = time.perf_counter()
    n = 0
    for crop in crops:
        h, w = crop.shape[:2]
        colour_descriptors(
            crop, Detections(np.array([[0, 0, w, h]], np.float32), np.ones(1, np.float32))
        )
        n += 1
    out["colour_ms_per_crop"] = 1000 * (time.perf_counter() - t0) / n
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="appearance descriptor benchmark")
    parser.add_argument("--boxes", choices=["auto", "nanodet", "background"], default="auto")
    parser.add_argument("--step", type=int, default=2, help="use every n-th frame")
    parser.add_argument("--min-gap-frames", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--boxes-cache", type=Path, default=None, help="JSON of boxes to reuse (written if absent)"
    )
    args = parser.parse_args()

    frames = all_frames()
    height, width = frames[0].shape[:2]
    source = args.boxes
    if source == "auto":
        try:
            import cctrace.vision.persons  # type: ignore[import-not-found, unused-ignore]  # noqa: F401

            source = "nanodet"
        except ImportError:
            source = "background"
    cache = args.boxes_cache
    if cache is not None and cache.is_file():
        cached = json.loads(cache.read_text())
        source = cached["source"]
        raw = {int(k): np.array(v, np.float32) for k, v in cached["boxes"].items()}
    else:
        raw = nanodet_boxes(frames) if source == "nanodet" else background_boxes(frames)
        if cache is not None:
            boxes_json = {str(k): [float(x) for x in v] for k, v in raw.items()}
            cache.write_text(json.dumps({"source": source, "boxes": boxes_json}))
    whole = keep_whole(raw, width, height)
    runs = passages(list(raw))
    print(f"boxes from {source}: {len(raw)} frames with a box, {len(whole)} whole")
    print("passages (first, last frame):", runs)
    if len(runs) != EXPECTED_PASSAGES:
        print(f"WARNING: expected {EXPECTED_PASSAGES} passages, found {len(runs)}")

    samples = [
        Sample(i, p, whole[i])
        for p, (a, b) in enumerate(runs)
        for i in range(a, b + 1)
        if i % args.step == 0 and i in whole
    ]
    print("samples per passage:", np.bincount([s.passage for s in samples]).tolist())
    embedder = OnnxAppearanceEmbedder()
    cnn, colour = describe_all(embedder, frames, samples, [s.box_xyxy for s in samples])
    rng = np.random.default_rng(0)
    jitter_boxes = [jittered(s.box_xyxy, rng, width, height) for s in samples]
    cnn_j, colour_j = describe_all(embedder, frames, samples, jitter_boxes)

    passage = np.array([s.passage for s in samples])
    frame = np.array([s.frame for s in samples])
    same = passage[:, None] == passage[None, :]
    far = np.abs(frame[:, None] - frame[None, :]) >= args.min_gap_frames
    upper = np.triu(np.ones_like(same), 1)
    genuine_mask = same & far & upper
    impostor_mask = ~same & upper

    halves_id: list[int] = []
    half_desc: list[AppearanceDescriptor] = []
    for p in range(len(runs)):
        idx = np.flatnonzero(passage == p)
        for part in np.array_split(idx, 2):
            halves_id.append(p)
            half_desc.append(
                AppearanceDescriptor.mean([AppearanceDescriptor(cnn[j], colour[j]) for j in part])
            )
    halves = np.array(halves_id, np.intp)
    half_cnn = np.stack([d.cnn for d in half_desc]) @ np.stack([d.cnn for d in half_desc]).T
    half_col = np.stack([d.colour for d in half_desc]) @ np.stack([d.colour for d in half_desc]).T

    sim_cnn = cnn @ cnn.T
    sim_col = colour @ colour.T
    jit_cnn = np.sum(cnn * cnn_j, axis=1)
    jit_col = np.sum(colour * colour_j, axis=1)
    results: list[Separation] = []
    for w in WEIGHTS:
        sim = w * sim_cnn + (1 - w) * sim_col
        gen, imp = sim[genuine_mask], sim[impostor_mask]
        eer, thr, tpr, thr_1pct = eer_and_tpr(gen, imp)
        name = "colour" if w == 0 else "cnn" if w == 1 else f"combined w={w}"
        worst_eer, worst_pair = 0.0, ""
        for p in range(len(runs)):
            for q in range(p + 1, len(runs)):
                in_pq = np.isin(passage, (p, q))
                pair_mask = in_pq[:, None] & in_pq[None, :]
                pair_eer, _, _, _ = eer_and_tpr(
                    sim[genuine_mask & pair_mask], sim[impostor_mask & pair_mask]
                )
                if pair_eer > worst_eer:
                    worst_eer, worst_pair = pair_eer, f"{'ABCDEF'[p]}-{'ABCDEF'[q]}"
        results.append(
            Separation(
                method=name,
                within_mean=float(gen.mean()),
                within_p5=float(np.percentile(gen, 5)),
                within_p50=float(np.percentile(gen, 50)),
                between_mean=float(imp.mean()),
                between_p50=float(np.percentile(imp, 50)),
                between_p95=float(np.percentile(imp, 95)),
                eer=eer,
                eer_threshold=thr,
                tpr_at_fpr_1pct=tpr,
                threshold_at_fpr_1pct=thr_1pct,
                worst_pair_eer=worst_eer,
                worst_pair=worst_pair,
                track_rank1=track_rank1(w * half_cnn + (1 - w) * half_col, halves),
                jitter_mean=float((w * jit_cnn + (1 - w) * jit_col).mean()),
            )
        )
    print(f"pairs: {int(genuine_mask.sum())} within-passage, {int(impostor_mask.sum())} between")
    print(
        "| method | within mean | within p5 | within p50 | between mean | between p50 "
        "| between p95 | EER | thr@EER | TPR@1%FPR | thr@1%FPR | worst pair EER "
        "| track rank-1 | jitter sim |"
    )
    print("|" + "---|" * 14)
    for r in results:
        print(
            f"| {r.method} | {r.within_mean:.3f} | {r.within_p5:.3f} | {r.within_p50:.3f} "
            f"| {r.between_mean:.3f} | {r.between_p50:.3f} | {r.between_p95:.3f} "
            f"| {100 * r.eer:.1f}% | {r.eer_threshold:.3f} | {100 * r.tpr_at_fpr_1pct:.1f}% "
            f"| {r.threshold_at_fpr_1pct:.3f} "
            f"| {100 * r.worst_pair_eer:.1f}% ({r.worst_pair}) "
            f"| {r.track_rank1} | {r.jitter_mean:.3f} |"
        )
    # Per passage pair, the mean between-passage similarity, to see which people get mixed.
    n_p = len(runs)
    for label, sim in (("cnn", sim_cnn), ("colour", sim_col)):
        mat = np.zeros((n_p, n_p))
        for p in range(n_p):
            for q in range(n_p):
                block = sim[np.ix_(passage == p, passage == q)]
                mat[p, q] = block.mean()
        print(f"mean {label} similarity between passages:\n{np.array2string(mat, precision=3)}")

    crops = [crop_persons(frames[s.frame], s.box_xyxy)[0] for s in samples[::10]][:32]
    timing = speed(embedder, crops)
    for k, v in timing.items():
        print(f"{k}: {v:.2f}")
    machine = f"{cpu_name()}, {len(os.sched_getaffinity(0))} cores usable"
    print("machine:", machine)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "boxes": source,
                    "passages": runs,
                    "samples": len(samples),
                    "results": [asdict(r) for r in results],
                    "timing": timing,
                    "machine": machine,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
