"""Person detectors on the shared video: counts against hand labels, and speed.

    python benchmarks/bench_persons.py [--every 5] [--threads 2] [--square-input]

(a) On every ``--every``-th frame of ``one-by-one-person-detection.mp4`` (768x432; people
walk in one at a time, so the right count is 0 or 1) counts the persons found by NanoDet
on the full frame, NanoDet tiled (full frame + two overlapping halves) at several score
thresholds, and OpenCV's HOG people detector. Frames are labelled by hand below; frames
where someone is only partly inside the picture (entering or leaving) are left out of the
error counts because either answer is defensible there.
(b) Median milliseconds per frame with the video frames upscaled to 1280x720 and
1920x1080.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import nms_xyxy
from cctrace.core.types import Detections, ImageBGR
from cctrace.vision.persons import NanoDetPersonDetector

VIDEO = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/intel-sample-videos/one-by-one-person-detection.mp4"
)
# Hand labels, read off contact sheets of every 5th frame (frame index = decode order).
PRESENT_RANGES = ((70, 190), (235, 440), (515, 690), (755, 860), (935, 1190), (1250, 1350))
PARTIAL_FRAMES = frozenset(
    {60, 65, 195, 200, 230, 445, 505, 510, 695, 700, 745, 750, 865, 870, 875}
    | {925, 930, 1195, 1200, 1235, 1240, 1245, 1355}
)
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
SWEEP_FLOOR = 0.25


def truth(index: int) -> int | None:
    """1 if a person is fully in view, 0 if nobody is, None if someone is cut by the border."""
    if index in PARTIAL_FRAMES:
        return None
    return int(any(lo <= index <= hi for lo, hi in PRESENT_RANGES))


class HogPeople:
    """OpenCV's default HOG + linear SVM people detector (Dalal-Triggs, 64x128 window)."""

    name = "hog"

    def __init__(self) -> None:
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor.getDefaultPeopleDetector())

    def detect(self, image_bgr: ImageBGR) -> Detections:
        rects, weights = self.hog.detectMultiScale(
            image_bgr, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        if len(rects) == 0:
            return Detections.empty()
        xywh = np.asarray(rects, np.float32).reshape(-1, 4)
        box = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        score = np.asarray(weights, np.float32).reshape(-1)
        # detectMultiScale's own grouping still leaves nested boxes; the same NMS as the
        # other detectors keeps the comparison about the detector, not the merge.
        keep = nms_xyxy(box, score, 0.5)
        return Detections(box[keep], score[keep])


@dataclass
class CountStats:
    zero: int = 0
    one: int = 0
    many: int = 0
    correct: int = 0
    missed: int = 0
    false_alarm: int = 0
    doubled: int = 0

    def add(self, count: int, expected: int | None) -> None:
        if count == 0:
            self.zero += 1
        elif count == 1:
            self.one += 1
        else:
            self.many += 1
        if expected is None:
            return
        if count == expected:
            self.correct += 1
        elif expected == 1 and count == 0:
            self.missed += 1
        elif expected == 0:
            self.false_alarm += 1
        else:
            self.doubled += 1


def read_frames(every: int) -> list[tuple[int, ImageBGR]]:
    frames: list[tuple[int, ImageBGR]] = []
    with av.open(str(VIDEO)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                frames.append((index, np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)))
    return frames


def median_ms(
    detect: Callable[[ImageBGR], Detections], frames: Sequence[ImageBGR]
) -> tuple[float, float]:
    """Median wall-clock and process-CPU milliseconds per frame.

    CPU time is reported too because the shared build machine is often busy: with one
    thread it stays close to what the frame costs on an idle core, while wall time
    includes waiting for the CPU.
    """
    detect(frames[0])  # warm-up: first run allocates ORT buffers
    wall, cpu = [], []
    for frame in frames:
        t0, c0 = time.perf_counter(), time.process_time()
        detect(frame)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def run_length_table(rows: list[tuple[int, tuple[object, ...]]]) -> list[str]:
    """Collapse consecutive sampled frames with the same (truth, counts...) into one line."""
    lines = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][1] != rows[start][1]:
            first, last = rows[start][0], rows[i - 1][0]
            cells = " ".join(f"{'-' if v is None else v!s:>6}" for v in rows[start][1])
            lines.append(f"{first:>5}-{last:<5} {cells}")
            start = i
    return lines


def count_persons(
    frames: list[tuple[int, ImageBGR]],
    full: NanoDetPersonDetector,
    tiled: NanoDetPersonDetector,
    hog: HogPeople,
    every: int,
) -> None:
    # Greedy NMS never lets a lower score suppress a higher one, so running once at the
    # lowest threshold and filtering afterwards gives exactly the result of each threshold.
    full.score_threshold = tiled.score_threshold = SWEEP_FLOOR
    stats: dict[str, CountStats] = {}
    per_frame: list[tuple[int, tuple[object, ...]]] = []
    for index, frame in frames:
        expected = truth(index)
        scores = {"full": full.detect(frame).score, "tiled": tiled.detect(frame).score}
        counts: dict[str, int] = {}
        for kind, score in scores.items():
            for thr in THRESHOLDS:
                counts[f"{kind}@{thr}"] = int(np.sum(score > thr))
        counts["hog"] = len(hog.detect(frame))
        for key, count in counts.items():
            stats.setdefault(key, CountStats()).add(count, expected)
        per_frame.append(
            (index, (expected, counts["full@0.4"], counts["tiled@0.4"], counts["hog"]))
        )

    labelled = sum(truth(i) is not None for i, _ in frames)
    present = sum(truth(i) == 1 for i, _ in frames)
    print(f"video {VIDEO.name}, every {every}th frame: {len(frames)} frames, ", end="")
    print(f"{labelled} labelled ({present} with a person, {labelled - present} empty)\n")
    print("per-frame counts at threshold 0.4 (runs of equal rows collapsed; truth '-' = partial)")
    print(f"{'frames':<11} {'truth':>6} {'full':>6} {'tiled':>6} {'hog':>6}")
    print("\n".join(run_length_table(per_frame)))
    print()
    header = f"{'detector':<16}{'0 det':>7}{'1 det':>7}{'2+ det':>7}"
    header += f"{'correct':>9}{'missed':>8}{'false':>7}{'double':>8}"
    print(header)
    for key, st in stats.items():
        print(
            f"{key:<16}{st.zero:>7}{st.one:>7}{st.many:>7}"
            f"{st.correct:>9}{st.missed:>8}{st.false_alarm:>7}{st.doubled:>8}"
        )


def time_detectors(
    frames: list[tuple[int, ImageBGR]],
    full: NanoDetPersonDetector,
    tiled: NanoDetPersonDetector,
    hog: HogPeople,
    n_frames: int,
) -> None:
    print(f"\nms per frame (median of {n_frames}; HOG of a third), frames upscaled from 768x432")
    with_person = [f for i, f in frames if truth(i) == 1]
    step = max(1, len(with_person) // n_frames)
    sample = with_person[::step][:n_frames]
    full.score_threshold = tiled.score_threshold = 0.4
    print("wall / CPU ms")
    print(f"{'size':<11}{'nanodet-full':>16}{'nanodet-tiled':>16}{'hog':>16}")
    for w, h in ((1280, 720), (1920, 1080)):
        up: list[NDArray[np.uint8]] = [
            cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in sample
        ]
        cells = [
            median_ms(full.detect, up),
            median_ms(tiled.detect, up),
            median_ms(hog.detect, up[: max(2, len(up) // 3)]),
        ]
        row = "".join(f"{f'{wall:.0f} / {cpu:.0f}':>16}" for wall, cpu in cells)
        print(f"{w}x{h:<6}{row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    parser.add_argument("--timing-frames", type=int, default=15)
    parser.add_argument("--no-counts", action="store_true", help="only measure speed")
    parser.add_argument("--no-timing", action="store_true", help="only count persons")
    parser.add_argument(
        "--square-input",
        action="store_true",
        help="NanoDet on its square 416 x 416 input (before it was fitted to the frame)",
    )
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)

    frames = read_frames(args.every)
    fit = not args.square_input
    full = NanoDetPersonDetector(tiled=False, intra_op_num_threads=args.threads, fit_input=fit)
    tiled = NanoDetPersonDetector(tiled=True, intra_op_num_threads=args.threads, fit_input=fit)
    hog = HogPeople()
    if not args.no_counts:
        count_persons(frames, full, tiled, hog, args.every)
    if not args.no_timing:
        time_detectors(frames, full, tiled, hog, args.timing_frames)
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} CPUs available, ORT and OpenCV threads {args.threads}, "
        f"load average at end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
