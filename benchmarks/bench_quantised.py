"""Person detection with NanoDet quantised to int8 (static, QDQ) against the float model:
speed side by side in one run, and how far the int8 boxes stay from the float ones.

The int8 model is built here, in a temporary folder, from the shipped float model
(calibrated on frames of the shared video that are not among those compared); nothing is
downloaded and nothing is shipped. Frames: every 10th of the shared video (768x432),
calibration on the frames in between (offset 5), the full-frame pass only (the tiles are
the same network on half frames). Only the convolutions are quantised.

    .venv/bin/python benchmarks/bench_quantised.py [--every 10] [--calibration 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import Detections
from cctrace.video.frames import iter_frames
from cctrace.vision.models import model_path
from cctrace.vision.persons import (
    _NANODET_INPUT,
    _NANODET_MEAN_BGR,
    _NANODET_STD_BGR,
    NanoDetPersonDetector,
    _letterbox,
    any_size_graph,
)
from cctrace.vision.runtime import OrtRunner

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO.parent / "shared" / "data" / "intel-sample-videos" / "one-by-one-person-detection.mp4"


def blob(image_bgr: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The detector's own input tensor (1, 3, 416, 416) for a frame."""
    canvas, _ = _letterbox(image_bgr, _NANODET_INPUT, _NANODET_INPUT, 0)
    out = ((canvas.astype(np.float32) - _NANODET_MEAN_BGR) / _NANODET_STD_BGR).transpose(2, 0, 1)
    return np.ascontiguousarray(out[None], np.float32)


class Frames(CalibrationDataReader):  # type: ignore[misc]  # onnxruntime ships no types
    def __init__(self, input_name: str, images: list[NDArray[np.uint8]]) -> None:
        self._feeds = iter([{input_name: blob(im)} for im in images])

    def get_next(self) -> dict[str, NDArray[np.float32]] | None:
        return next(self._feeds, None)


def compare(a: Detections, b: Detections) -> tuple[int, int, int, list[float], list[float]]:
    """(float boxes, int8 boxes, float boxes matched at IoU >= 0.5, IoUs, score changes)."""
    if len(a) == 0 or len(b) == 0:
        return len(a), len(b), 0, [], []
    iou = box_iou_batch(a.box_xyxy, b.box_xyxy)
    best = iou.argmax(axis=1)
    ok = iou[np.arange(len(a)), best] >= 0.5
    ious = iou[np.arange(len(a)), best][ok].tolist()
    dscore = (b.score[best[ok]] - a.score[ok]).tolist()
    return len(a), len(b), int(ok.sum()), ious, dscore


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--calibration", type=int, default=40)
    parser.add_argument(
        "--per-channel", action="store_true", help="per-channel weight scales (default per tensor)"
    )
    args = parser.parse_args()
    if not VIDEO.is_file():
        sys.exit(f"{VIDEO} is missing: see ../shared/data/README.md")
    frames = [f.image_bgr for f in iter_frames(VIDEO)]
    test = frames[:: args.every]
    calib = frames[args.every // 2 :: args.every][: args.calibration]

    float_det = NanoDetPersonDetector(tiled=False, runtime="onnxruntime")
    int8_det = NanoDetPersonDetector(tiled=False, runtime="onnxruntime")
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        q = Path(tmp) / "nanodet_int8.onnx"
        quant_pre_process(str(model_path("nanodet")), str(pre))
        name = float_det._runner.input_name
        t0 = time.perf_counter()
        quantize_static(
            str(pre),
            str(q),
            Frames(name, calib),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=args.per_channel,
            # Convolutions only: quantising every op (the Sigmoid, Concat and Reshape of
            # the heads too) gave scales of zero and no box at all on any frame.
            op_types_to_quantize=["Conv"],
        )
        print(f"quantised in {time.perf_counter() - t0:.1f} s on {len(calib)} calibration frames")
        # The quantised file keeps the float file's fixed 416 x 416 input; free it as the
        # detector does for the float one.
        int8_det._runner = OrtRunner(any_size_graph(q), None)

    times = {"float": 0.0, "int8": 0.0}
    n_a = n_b = n_ok = 0
    ious: list[float] = []
    dscore: list[float] = []
    for image in test:
        # Interleaved, so that load changes during the run hit both alike.
        t = time.perf_counter()
        a = float_det.detect(image, tiles=False)
        times["float"] += time.perf_counter() - t
        t = time.perf_counter()
        b = int8_det.detect(image, tiles=False)
        times["int8"] += time.perf_counter() - t
        ka, kb, ok, i, d = compare(a, b)
        n_a, n_b, n_ok = n_a + ka, n_b + kb, n_ok + ok
        ious += i
        dscore += d
    n = len(test)
    print(f"{n} frames of {VIDEO.name}, load {os.getloadavg()[0]:.1f}")
    print("| model | ms per full-frame pass | boxes | float boxes found (IoU >= 0.5) |")
    print("|---|---|---|---|")
    print(f"| float | {1000 * times['float'] / n:.1f} | {n_a} | - |")
    kind = "per channel" if args.per_channel else "per tensor"
    print(f"| int8 QDQ, {kind} | {1000 * times['int8'] / n:.1f} | {n_b} | {n_ok} of {n_a} |")
    print(f"int8 / float time: {times['int8'] / times['float']:.2f}")
    if ious:
        print(
            f"matched boxes: IoU median {np.median(ious):.3f}, min {min(ious):.3f}; "
            f"score change median {np.median(dscore):+.3f}, "
            f"largest {max(dscore, key=abs):+.3f}"
        )


if __name__ == "__main__":
    main()
