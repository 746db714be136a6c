"""Person detectors on real models and real frames; the YOLO plugin on tiny ONNX graphs
built here that emit known boxes in each supported output layout."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import onnx
import pytest
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from cctrace.core.errors import InputError, ModelError
from cctrace.core.geometry import box_iou_batch
from cctrace.vision.persons import (
    PERSON_MIN_SCORE,
    PERSON_SCORE_THRESHOLD,
    NanoDetPersonDetector,
    OnnxYoloPersonDetector,
    PersonDetector,
    create_person_detector,
    grid_tiles,
    split_tiles,
)

Frame = NDArray[np.uint8]

# Hand-labelled person boxes (x1, y1, x2, y2) in the 768x432 shared video, and frames in
# which nobody is in view.
VIDEO_PERSON_BOXES = {
    100: (382.0, 10.0, 516.0, 385.0),
    300: (380.0, 4.0, 544.0, 380.0),
    550: (396.0, 0.0, 556.0, 390.0),
    775: (364.0, 36.0, 506.0, 376.0),
}
VIDEO_EMPTY_FRAMES = (0, 475, 875)
ASTRONAUT_BOX = (18.0, 15.0, 365.0, 512.0)  # hand-labelled; helmet and flag excluded


@pytest.fixture(scope="module")
def nanodet() -> NanoDetPersonDetector:
    return NanoDetPersonDetector(tiled=True, intra_op_num_threads=2)


@pytest.fixture(scope="module")
def nanodet_full_frame() -> NanoDetPersonDetector:
    return NanoDetPersonDetector(tiled=False, intra_op_num_threads=2)


@pytest.fixture(scope="module")
def video_frames(shared_video: Path) -> dict[int, Frame]:
    wanted = set(VIDEO_PERSON_BOXES) | set(VIDEO_EMPTY_FRAMES)
    frames: dict[int, Frame] = {}
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames[index] = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
            if len(frames) == len(wanted):
                break
    assert set(frames) == wanted
    return frames


def iou(a: tuple[float, ...] | NDArray[np.float32], b: tuple[float, ...]) -> float:
    return float(box_iou_batch(np.array([a]), np.array([b]))[0, 0])


# --- NanoDet on real frames ----------------------------------------------------------


def test_nanodet_missing_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCTRACE_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match=r"nanodet\.onnx \(nanodet\) is missing.*make models"):
        NanoDetPersonDetector()


def test_nanodet_finds_the_astronaut(nanodet: NanoDetPersonDetector, astronaut_bgr: Frame) -> None:
    dets = nanodet.detect(astronaut_bgr)
    assert len(dets) == 1
    assert dets.score[0] > 0.6
    assert iou(dets.box_xyxy[0], ASTRONAUT_BOX) > 0.8


@pytest.mark.parametrize("tiled", [True, False])
@pytest.mark.parametrize("index", sorted(VIDEO_PERSON_BOXES))
def test_nanodet_finds_the_walker(
    video_frames: dict[int, Frame],
    index: int,
    tiled: bool,
    nanodet: NanoDetPersonDetector,
    nanodet_full_frame: NanoDetPersonDetector,
) -> None:
    dets = (nanodet if tiled else nanodet_full_frame).detect(video_frames[index])
    assert len(dets) == 1, f"frame {index}: {dets.box_xyxy.tolist()} {dets.score.tolist()}"
    assert iou(dets.box_xyxy[0], VIDEO_PERSON_BOXES[index]) > 0.75


@pytest.mark.parametrize("index", VIDEO_EMPTY_FRAMES)
def test_nanodet_empty_room(
    video_frames: dict[int, Frame], index: int, nanodet: NanoDetPersonDetector
) -> None:
    dets = nanodet.detect(video_frames[index])
    assert len(dets) == 0, f"frame {index}: {dets.box_xyxy.tolist()} {dets.score.tolist()}"


def test_nanodet_boxes_stay_in_frame_and_sorted(
    video_frames: dict[int, Frame], nanodet: NanoDetPersonDetector
) -> None:
    frame = np.ascontiguousarray(np.concatenate([video_frames[300], video_frames[550]], axis=1))
    dets = nanodet.detect(frame)  # two walkers side by side in a 1536x432 frame
    assert len(dets) == 2
    assert np.all(dets.box_xyxy >= 0)
    assert np.all(dets.box_xyxy[:, [0, 2]] <= frame.shape[1])
    assert np.all(dets.box_xyxy[:, [1, 3]] <= frame.shape[0])
    assert np.all(np.diff(dets.score) <= 0)


def test_fitted_input_follows_the_frame_and_finds_what_the_square_input_finds(
    video_frames: dict[int, Frame], nanodet_full_frame: NanoDetPersonDetector
) -> None:
    fitted = nanodet_full_frame
    # Whole 32 px bands of padding come off: at 16:9 the picture is 234 rows, 91 of
    # padding above and below in the square, 27 left.
    assert fitted.input_size(1920, 1080) == (416, 288)
    assert fitted.input_size(768, 432) == (416, 288)
    assert fitted.input_size(1080, 1920) == (288, 416)
    assert fitted.input_size(1104, 1080) == (416, 416)
    assert fitted.input_size(1024, 576) == (416, 288)
    square = NanoDetPersonDetector(tiled=False, fit_input=False, intra_op_num_threads=2)
    assert square.input_size(1920, 1080) == (416, 416)
    # Landscape frames, and a portrait crop (the walker of frame 300 in a 300 x 432 cut).
    images = [video_frames[i] for i in sorted(VIDEO_PERSON_BOXES)]
    images.append(np.ascontiguousarray(video_frames[300][:, 300:600]))
    for image in images:
        a, b = square.detect(image), fitted.detect(image)
        assert len(a) == len(b) == 1, (a.box_xyxy.tolist(), b.box_xyxy.tolist())
        assert np.abs(a.box_xyxy - b.box_xyxy).max() < 2.0, (a.box_xyxy, b.box_xyxy)
        assert abs(float(a.score[0]) - float(b.score[0])) < 0.02


def test_nanodet_rejects_non_bgr(nanodet: NanoDetPersonDetector) -> None:
    with pytest.raises(InputError, match=r"\(H, W, 3\) uint8"):
        nanodet.detect(np.zeros((10, 10), np.uint8))


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1920, 1080), [(0, 0, 1104, 1080), (816, 0, 1920, 1080)]),
        ((1080, 1920), [(0, 0, 1080, 1104), (0, 816, 1080, 1920)]),
    ],
)
def test_split_tiles_overlap_along_long_side(
    size: tuple[int, int], expected: list[tuple[int, int, int, int]]
) -> None:
    tiles = split_tiles(*size, overlap_frac=0.15)
    assert [(t.x0, t.y0, t.x1, t.y1) for t in tiles] == expected


def test_grid_tiles_cover_the_frame_with_seams_inside() -> None:
    tiles = grid_tiles(1920, 1080, 3, 2, overlap_frac=0.15)
    assert len(tiles) == 6
    covered = np.zeros((1080, 1920), bool)
    for t in tiles:
        covered[t.y0 : t.y1, t.x0 : t.x1] = True
        # a seam is marked exactly where the tile does not reach the frame's edge
        assert (t.seam_left, t.seam_top) == (t.x0 > 0, t.y0 > 0)
        assert (t.seam_right, t.seam_bottom) == (t.x1 < 1920, t.y1 < 1080)
    assert covered.all()
    # neighbours overlap by 0.15 of the longer side: 288 px
    assert tiles[0].x1 - tiles[1].x0 == 288 and tiles[0].y1 - tiles[3].y0 == 288
    with pytest.raises(InputError, match="1 x 1"):
        grid_tiles(1920, 1080, 0, 2, overlap_frac=0.15)


def test_low_floor_adds_boxes_below_the_old_threshold_and_keeps_the_rest(
    video_frames: dict[int, Frame], nanodet: NanoDetPersonDetector
) -> None:
    made = create_person_detector(None, intra_op_num_threads=2)
    assert isinstance(made, NanoDetPersonDetector)
    assert made.score_threshold == PERSON_MIN_SCORE < PERSON_SCORE_THRESHOLD
    low = NanoDetPersonDetector(
        score_threshold=PERSON_MIN_SCORE, tiled=True, intra_op_num_threads=2
    )
    frame = cv2.resize(video_frames[300], (1920, 1080))
    old, new = nanodet.detect(frame), low.detect(frame)
    # NMS is greedy by score, so the confident boxes are exactly the old detector's.
    strong = new[new.score >= PERSON_SCORE_THRESHOLD]
    assert np.array_equal(strong.box_xyxy, old.box_xyxy)
    assert np.array_equal(strong.score, old.score)
    assert new.score.min() >= PERSON_MIN_SCORE


# --- YOLO plugin on synthetic graphs -------------------------------------------------

# A 1280x720 frame into a 640x640 input: scale 0.5, 140 px of padding above and below.
SRC_W, SRC_H = 1280, 720
PERSON_SRC = (100.0, 200.0, 300.0, 600.0)
PERSON_NET = (50.0, 240.0, 150.0, 440.0)  # the same box in network-input pixels
CAR_NET = (400.0, 300.0, 600.0, 400.0)


def constant_detector(
    path: Path, output: NDArray[np.float32], input_hw: tuple[int | str, int | str] = (640, 640)
) -> Path:
    """An ONNX file whose output is ``output`` (plus 0 x mean(input), so the input is used)."""
    h, w = input_hw
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, h, w])
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["boxes", "nothing"], ["output0"]),
    ]
    inits = [
        numpy_helper.from_array(output.astype(np.float32), "boxes"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
    ]
    graph = helper.make_graph(nodes, "constant_detector", [image], [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def xywh(box: tuple[float, ...]) -> list[float]:
    x1, y1, x2, y2 = box
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]


def yolov5_output() -> NDArray[np.float32]:
    rows = np.zeros((30, 5 + 3), np.float32)  # 3 classes
    rows[0] = [*xywh(PERSON_NET), 0.9, 0.8, 0.1, 0.1]  # person, 0.72
    rows[1] = [*xywh((52.0, 242.0, 152.0, 442.0)), 0.8, 0.7, 0.1, 0.1]  # duplicate, 0.56
    rows[2] = [*xywh(CAR_NET), 0.9, 0.05, 0.9, 0.1]  # a car: person score 0.045
    return rows[None]


def yolov8_output() -> NDArray[np.float32]:
    cols = np.zeros((4 + 3, 40), np.float32)
    cols[:, 0] = [*xywh(PERSON_NET), 0.72, 0.1, 0.1]
    cols[:, 1] = [*xywh((52.0, 242.0, 152.0, 442.0)), 0.56, 0.1, 0.1]
    cols[:, 2] = [*xywh(CAR_NET), 0.04, 0.9, 0.1]
    return cols[None]


def end2end_output() -> NDArray[np.float32]:
    rows = np.zeros((300, 6), np.float32)
    rows[0] = [*PERSON_NET, 0.72, 0]
    rows[1] = [*CAR_NET, 0.9, 2]
    return rows[None]


@pytest.mark.parametrize(
    ("make_output", "layout"),
    [(yolov5_output, "yolov5"), (yolov8_output, "yolov8"), (end2end_output, "end2end")],
)
@pytest.mark.parametrize("explicit", [False, True])
def test_yolo_layouts_map_back_through_letterbox(
    tmp_path: Path, make_output: object, layout: str, explicit: bool
) -> None:
    assert callable(make_output)
    path = constant_detector(tmp_path / f"{layout}.onnx", make_output())
    detector = OnnxYoloPersonDetector(path, layout=layout if explicit else "auto")  # type: ignore[arg-type]
    assert isinstance(detector, PersonDetector)
    dets = detector.detect(np.zeros((SRC_H, SRC_W, 3), np.uint8))
    assert len(dets) == 1  # duplicate suppressed, car dropped
    np.testing.assert_allclose(dets.box_xyxy[0], PERSON_SRC, atol=1e-3)
    assert dets.score[0] == pytest.approx(0.72, abs=1e-5)


def test_yolo_person_class_is_configurable(tmp_path: Path) -> None:
    path = constant_detector(tmp_path / "v8.onnx", yolov8_output())
    dets = OnnxYoloPersonDetector(path, person_class_id=1).detect(
        np.zeros((SRC_H, SRC_W, 3), np.uint8)
    )
    assert len(dets) == 1
    # the "car" at class 1 is now the person; its box maps back through the letterbox
    np.testing.assert_allclose(dets.box_xyxy[0], (800.0, 320.0, 1200.0, 520.0), atol=1e-3)


def test_yolo_non_square_and_dynamic_inputs(tmp_path: Path) -> None:
    # 320x480 (h x w) input: a 1280x720 frame scales by 0.375 to 480x270, pad_y 25.
    rows = np.zeros((1, 20, 6), np.float32)
    rows[0, 0] = [37.5, 100.0, 112.5, 250.0, 0.9, 0]
    static = constant_detector(tmp_path / "static.onnx", rows, (320, 480))
    det = OnnxYoloPersonDetector(static)
    assert (det.input_h, det.input_w) == (320, 480)
    out = det.detect(np.zeros((SRC_H, SRC_W, 3), np.uint8))
    np.testing.assert_allclose(out.box_xyxy[0], PERSON_SRC, atol=1e-3)
    dynamic = constant_detector(tmp_path / "dynamic.onnx", end2end_output(), ("h", "w"))
    det = OnnxYoloPersonDetector(dynamic)
    assert (det.input_h, det.input_w) == (640, 640)
    out = det.detect(np.zeros((SRC_H, SRC_W, 3), np.uint8))
    np.testing.assert_allclose(out.box_xyxy[0], PERSON_SRC, atol=1e-3)


@pytest.mark.parametrize("shape", [(1, 10), (1, 10, 4), (2, 8400, 85), (1, 2, 8400)])
def test_yolo_unsupported_output_shape(tmp_path: Path, shape: tuple[int, ...]) -> None:
    path = constant_detector(tmp_path / "odd.onnx", np.zeros(shape, np.float32))
    with pytest.raises(ModelError, match=r"odd\.onnx has output shape \[") as err:
        OnnxYoloPersonDetector(path)
    assert str(list(shape)) in err.value.message


def test_yolo_person_class_out_of_range(tmp_path: Path) -> None:
    path = constant_detector(tmp_path / "v5.onnx", yolov5_output())
    with pytest.raises(ModelError, match="person class 7"):
        OnnxYoloPersonDetector(path, person_class_id=7)


def test_yolo_not_an_onnx_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.onnx"
    path.write_bytes(b"this is a PyTorch checkpoint, not ONNX")
    with pytest.raises(InputError, match=r"weights\.onnx is not a loadable ONNX file"):
        OnnxYoloPersonDetector(path)


def test_yolo_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.onnx does not exist"):
        OnnxYoloPersonDetector(tmp_path / "nope.onnx")


# --- factory -------------------------------------------------------------------------


def test_create_person_detector(tmp_path: Path) -> None:
    assert isinstance(create_person_detector(None), NanoDetPersonDetector)
    assert create_person_detector("nanodet").name == "nanodet"
    path = constant_detector(tmp_path / "mine.onnx", end2end_output())
    plugin = create_person_detector(str(path))
    assert isinstance(plugin, OnnxYoloPersonDetector)
    assert plugin.name == "onnx-yolo:mine.onnx"
    with pytest.raises(InputError, match="unknown person detector 'yolo'"):
        create_person_detector("yolo")


@pytest.mark.parametrize(("width", "height", "expected_runs"), [(768, 432, 1), (1920, 1080, 3)])
def test_tiling_by_default_only_on_large_frames(
    width: int, height: int, expected_runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = NanoDetPersonDetector()
    runs: list[tuple[int, ...]] = []
    real = detector._detect_crop

    def counting(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        runs.append(crop.shape)
        return real(crop)

    monkeypatch.setattr(detector, "_detect_crop", counting)
    detector.detect(np.zeros((height, width, 3), np.uint8))
    assert len(runs) == expected_runs
