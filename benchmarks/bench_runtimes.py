"""ONNX Runtime against OpenVINO on the models ingestion runs through ONNX Runtime.

    .venv/bin/python benchmarks/bench_runtimes.py [--rounds 10] [--precision f32|bf16]

For NanoDet (square 416 x 416 input and the 416 x 288 input ingestion feeds a 16:9 frame
since its input is fitted to the frame), the appearance CNN (4 crops a call) and the mask
classifier (4 faces, mirrored: 8 a call), on inputs cut from a real frame of the shared
video: milliseconds per call, the two runtimes interleaved call by call so that other
load on the machine falls on both alike, (a) with 1 thread, as process CPU time (close to
what a call costs on an idle core even when the machine is busy) and (b) with 2 threads,
as wall time (what one ingestion on this 2-core VM waits); and the largest absolute
difference between the two runtimes' outputs. OpenVINO runs with
``INFERENCE_PRECISION_HINT`` f32 (default) or bf16 (what it picks by itself on CPUs with
native bf16, and what cctrace's person detection runs with there) and the LATENCY
performance hint; CPU pinning is off, since other processes share the cores.
ONNX Runtime runs with cctrace's session options (no spin-waiting unless
``CCTRACE_ORT_SPIN=1``, which gives ONNX Runtime's own default).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from cctrace.video.frames import iter_frames
from cctrace.vision.models import model_path, ort_options
from cctrace.vision.persons import NanoDetPersonDetector, any_size_graph

VIDEO = (
    Path(__file__).resolve().parents[1].parent
    / "shared/data/intel-sample-videos/one-by-one-person-detection.mp4"
)
FRAME_INDEX = 300  # a walker in the middle of the room
Array = NDArray[np.float32]


def inputs(frame: NDArray[np.uint8]) -> dict[str, tuple[str | bytes, Array]]:
    """Model (path or graph bytes) and one real input for each case."""
    mean = np.array([103.53, 116.28, 123.675], np.float32)
    std = np.array([57.375, 57.12, 58.395], np.float32)
    hd = cv2.resize(frame, (1920, 1080))
    square = np.zeros((416, 416, 3), np.uint8)
    square[91:325] = cv2.resize(hd, (416, 234))
    # What the detector feeds since its input is fitted: the square less 2 x 64 rows.
    fitted = square[64:352]

    def nano(img: NDArray[np.uint8]) -> Array:
        return ((img.astype(np.float32) - mean) / std).transpose(2, 0, 1)[None].copy()

    person = frame[4:380, 380:544]
    head = frame[4:90, 420:500]
    crops = np.stack([cv2.resize(person, (224, 224))] * 4).astype(np.float32) / 255.0
    faces = np.stack([cv2.resize(head, (128, 128))] * 8).astype(np.float32) / 127.5 - 1.0
    return {
        "nanodet 416x416": (str(model_path("nanodet")), nano(square)),
        "nanodet 416x288": (any_size_graph(model_path("nanodet")), nano(fitted)),
        "appearance x4": (str(model_path("appearance")), crops.transpose(0, 3, 1, 2).copy()),
        "mask x8": (str(model_path("mask")), faces.transpose(0, 3, 1, 2).copy()),
    }


def ort_runner(model: str | bytes, blob: Array, threads: int) -> Callable[[], list[Array]]:
    options = ort_options(threads)  # as cctrace runs it: no spin-waiting (CCTRACE_ORT_SPIN)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: blob}
    return lambda: [np.asarray(x) for x in session.run(None, feed)]


def ov_runner(
    model: str | bytes, blob: Array, threads: int, precision: str
) -> Callable[[], list[Array]]:
    import openvino as ov

    core = ov.Core()
    graph = core.read_model(model) if isinstance(model, str) else core.read_model(model, b"")
    graph.reshape({graph.inputs[0].any_name: list(blob.shape)})
    compiled = core.compile_model(
        graph,
        "CPU",
        {
            "INFERENCE_PRECISION_HINT": precision,
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_NUM_THREADS": threads,
            "ENABLE_CPU_PINNING": False,
        },
    )
    request = compiled.create_infer_request()
    outputs = compiled.outputs

    def run() -> list[Array]:
        result = request.infer({0: blob})
        return [np.asarray(result[o]) for o in outputs]

    return run


def compare(
    name: str, model: str | bytes, blob: Array, threads: int, rounds: int, precision: str
) -> tuple[float, float, float]:
    """ms per call for ORT and OpenVINO (CPU time with 1 thread, else wall), max abs diff."""
    a, b = ort_runner(model, blob, threads), ov_runner(model, blob, threads, precision)
    diff = max(float(np.abs(x - y).max()) for x, y in zip(a(), b(), strict=True))
    clock = time.process_time if threads == 1 else time.perf_counter
    spent = [0.0, 0.0]
    for _ in range(2):  # warm-up
        a(), b()
    for _ in range(rounds):
        for k, run in enumerate((a, b)):
            t0 = clock()
            run()
            run()
            spent[k] += clock() - t0
    return 500 * spent[0] / rounds, 500 * spent[1] / rounds, diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="pairs of calls per runtime")
    parser.add_argument(
        "--precision",
        choices=("f32", "bf16"),
        default="f32",
        help="OpenVINO's INFERENCE_PRECISION_HINT (bf16 needs AMX or AVX-512 BF16 to gain)",
    )
    args = parser.parse_args()
    import openvino as ov

    frame = next(f.image_bgr for f in iter_frames(VIDEO) if f.index == FRAME_INDEX)
    NanoDetPersonDetector()  # checks the model file before anything is timed
    print(f"onnxruntime {ort.__version__}, openvino {ov.__version__} in {args.precision}")
    print(
        "| model | ORT CPU ms, 1 thread | OpenVINO CPU ms, 1 thread | ORT / OpenVINO "
        "| ORT wall ms, 2 threads | OpenVINO wall ms, 2 threads | ORT / OpenVINO "
        "| max abs diff | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (model, blob) in inputs(frame).items():
        o1, v1, d = compare(name, model, blob, 1, args.rounds, args.precision)
        o2, v2, _ = compare(name, model, blob, 2, args.rounds, args.precision)
        print(
            f"| {name} | {o1:.1f} | {v1:.1f} | {o1 / v1:.2f} | {o2:.1f} | {v2:.1f} "
            f"| {o2 / v2:.2f} | {d:.1e} | {os.getloadavg()[0]:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
