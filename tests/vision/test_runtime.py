"""The runtime choice for person detection: ONNX Runtime, OpenVINO float32 and OpenVINO
with its own precision (bf16 where the CPU has it) run the real NanoDet on real frames."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.core.geometry import box_iou_batch
from cctrace.vision.models import model_path
from cctrace.vision.persons import PERSON_MIN_SCORE, NanoDetPersonDetector, any_size_graph
from cctrace.vision.runtime import RUNTIME_ENV, OpenVinoRunner, OrtRunner, chosen_runtime

Frame = NDArray[np.uint8]


@pytest.fixture(scope="module")
def walker_frames(shared_video: Path) -> list[Frame]:
    """Every 50th frame of the shared video: the empty room and each walker in turn."""
    frames = []
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % 50 == 0:
                frames.append(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8))
    assert len(frames) > 20
    return frames


def test_default_is_openvino_and_the_variable_overrides_it() -> None:
    assert chosen_runtime({}) == "openvino"
    assert chosen_runtime({RUNTIME_ENV: "onnxruntime"}) == "onnxruntime"
    assert chosen_runtime({RUNTIME_ENV: " OpenVINO-F32 "}) == "openvino-f32"


def test_an_unknown_runtime_is_named_with_the_choices() -> None:
    with pytest.raises(InputError, match=r"CCTRACE_RUNTIME='tensorrt' is not a runtime.*onnxr"):
        chosen_runtime({RUNTIME_ENV: "tensorrt"})


def test_detector_takes_the_runtime_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(RUNTIME_ENV, "onnxruntime")
    assert NanoDetPersonDetector().runtime == "onnxruntime"
    monkeypatch.setenv(RUNTIME_ENV, "openvino-f32")
    assert NanoDetPersonDetector().runtime == "openvino-f32"


def test_openvino_float32_gives_onnx_runtime_outputs_at_every_input_shape() -> None:
    graph = any_size_graph(model_path("nanodet"))
    ort_runner, ov_runner = OrtRunner(graph, 2), OpenVinoRunner(graph, 2, "f32")
    rng = np.random.default_rng(3)
    # The full-frame input of a 16:9 frame, the square one and a portrait one: each is
    # compiled on first use and reused after.
    for shape in [(1, 3, 288, 416), (1, 3, 416, 416), (1, 3, 416, 288), (1, 3, 288, 416)]:
        blob = rng.normal(0.0, 1.0, shape).astype(np.float32)
        for a, b in zip(ort_runner.run(blob), ov_runner.run(blob), strict=True):
            assert a.shape == b.shape
            assert np.abs(a - b).max() < 1e-3
    assert len(ov_runner._compiled) == 3


def test_every_runtime_finds_the_same_people(walker_frames: list[Frame]) -> None:
    """Boxes a person counts on (score >= 0.4) are the same people on every runtime, in
    nearly the same place; bf16 moves scores by a few hundredths at most."""
    detectors = {
        rt: NanoDetPersonDetector(PERSON_MIN_SCORE, tiled=True, runtime=rt)
        for rt in ("onnxruntime", "openvino-f32", "openvino")
    }
    found = 0
    for frame in walker_frames:
        results = {rt: d.detect(frame) for rt, d in detectors.items()}
        ref = results["onnxruntime"]
        strong = ref.score >= 0.4
        found += int(strong.sum())
        for rt, dets in results.items():
            mine = dets.score >= 0.4
            assert mine.sum() == strong.sum(), (rt, dets.score, ref.score)
            if not strong.any():
                continue
            iou = box_iou_batch(ref.box_xyxy[strong], dets.box_xyxy[mine])
            assert iou.max(axis=1).min() > 0.9, (rt, iou)
            best = iou.argmax(axis=1)
            assert np.abs(dets.score[mine][best] - ref.score[strong]).max() < 0.05
    assert found >= 15  # the walkers are in most of these frames
