"""Person detectors: NanoDet (the shipped default) and a plugin for YOLO-family ONNX files.

Every detector takes one BGR frame (H, W, 3) uint8 and returns `Detections` of persons
only, with ``box_xyxy`` in that frame's pixels (clipped to it) and ``score`` in [0, 1].

- `NanoDetPersonDetector`: NanoDet-m 416 (COCO), converted from TF.js to ONNX by
  ``tools/models/convert_nanodet.py``. CCTV frames are wide and people in them small, so
  by default it runs on the full frame plus two overlapping halves and merges by NMS.
- `OnnxYoloPersonDetector`: a user's own detector exported to ONNX in one of the common
  YOLO layouts (YOLOv5/v7, YOLOv8/v11, end-to-end YOLOv10 style).
- `create_person_detector(spec)`: ``None``/``"nanodet"`` or a path to a ``.onnx`` file.

Two score levels: a detector made by `create_person_detector` keeps boxes down to
`PERSON_MIN_SCORE` (0.15), because in a crowd the half-hidden people get weak scores and
are exactly the close contacts: `cctrace detect --json` lists them with their scores (a
ranking), and ingestion's tracker uses them in ByteTrack's second association stage only
(they extend tracks, never start one). `PERSON_SCORE_THRESHOLD` (0.4) is the level at
which a box alone counts as a person (what the shipped threshold was before).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError, ModelError
from cctrace.core.geometry import Letterbox, clip_boxes, letterbox_fit, nms_xyxy
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.vision.models import model_path
from cctrace.vision.runtime import Runtime, load_graph, ort_session

YoloLayout = Literal["auto", "yolov5", "yolov8", "end2end"]

# NanoDet-m's training normalisation (BGR order); with plain RGB/255 input the model
# still runs but loses most of its accuracy (AP50 0.14 instead of 0.67 on street frames).
_NANODET_MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32)
_NANODET_STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32)
_NANODET_MEAN_TUPLE = tuple(float(v) for v in _NANODET_MEAN_BGR)
_NANODET_STD_NCHW = _NANODET_STD_BGR.reshape(1, 3, 1, 1)
_NANODET_INPUT = 416
NANODET_INPUT_PX = _NANODET_INPUT
_NANODET_STRIDES = (8, 16, 32)
_NANODET_BINS = 11  # GFL reg_max 10: each side is a distribution over 0..10 strides
_PERSON_COCO = 0
PERSON_SCORE_THRESHOLD = 0.4
"""A box at least this confident counts as a person on its own (measured on the shared
indoor video, docs/benchmarks.md: below it, tiling starts counting one person twice)."""
PERSON_MIN_SCORE = 0.15
"""Boxes kept down to this score for ranking and for the tracker's second stage
(composite crowd frames, benchmarks/bench_crowd.py: AP50 rises against 0.4)."""
# Ultralytics letterboxes with grey 114; YOLO models are trained on that border colour.
_YOLO_PAD_VALUE = 114
# An end-to-end head emits a fixed, small number of rows (300 for YOLOv10); a YOLOv5 head
# with one class also has 6 columns but thousands of rows.
_END2END_MAX_ROWS = 1000


@runtime_checkable
class PersonDetector(Protocol):
    """Anything that finds people in a BGR frame."""

    name: str

    def detect(self, image_bgr: ImageBGR) -> Detections:
        """Persons in ``image_bgr`` (H, W, 3) uint8; boxes in its pixels."""
        ...


def _check_image(image_bgr: ImageBGR) -> None:
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
        raise InputError(
            f"person detection needs a BGR image of shape (H, W, 3) uint8, "
            f"got shape {image_bgr.shape} {image_bgr.dtype}"
        )
    if image_bgr.shape[0] == 0 or image_bgr.shape[1] == 0:
        raise InputError(f"person detection got an empty image of shape {image_bgr.shape}")


def any_size_graph(path: Path) -> bytes:
    """The NanoDet graph of the checked file ``path`` with its input's height and width
    left free, serialised for ONNX Runtime (the file itself is unchanged).

    The converted graph fixes its input at 1 x 3 x 416 x 416, but nothing inside depends
    on that size (reshapes keep the batch and channels and infer the rest, upsampling is
    by scale factors), so a wide frame can be fed as a 416 x 288 input instead of being
    letterboxed into 416 x 416, 44 % of which is padding at 16:9."""
    import onnx  # here: only this detector edits a graph, and only at load time

    model = onnx.load_model_from_string(path.read_bytes())
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for out in model.graph.output:
        out.type.tensor_type.shape.dim[1].dim_param = "anchors"
    # Shapes inferred for 416 x 416 inside the graph would contradict other sizes.
    del model.graph.value_info[:]
    data: bytes = model.SerializeToString()
    return data


def _letterbox(
    image: NDArray[np.uint8], input_w: int, input_h: int, pad_value: int
) -> tuple[NDArray[np.uint8], Letterbox]:
    """Resize ``image`` (H, W, 3) into (input_h, input_w, 3) keeping its aspect ratio."""
    h, w = image.shape[:2]
    box = letterbox_fit(w, h, input_w, input_h)
    new_w, new_h = round(w * box.scale), round(h * box.scale)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((input_h, input_w, 3), pad_value, dtype=np.uint8)
    x0, y0 = int(box.pad_x), int(box.pad_y)
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return canvas, box


@dataclass(frozen=True)
class _Tile:
    """A crop of the frame: its offset in the frame and which sides are internal seams."""

    x0: int
    y0: int
    x1: int
    y1: int
    seam_left: bool = False
    seam_right: bool = False
    seam_top: bool = False
    seam_bottom: bool = False


def split_tiles(width: int, height: int, overlap_frac: float) -> list[_Tile]:
    """Two overlapping halves along the longer side of a ``width`` x ``height`` frame.

    ``overlap_frac`` is the overlap as a fraction of the longer side; halves of a 16:9
    frame with 0.15 overlap are close to square, which is what NanoDet's 416x416 input
    wants.
    """
    if width >= height:
        half = width / 2
        ov = overlap_frac * width / 2
        left_end = min(width, round(half + ov))
        right_start = max(0, round(half - ov))
        return [
            _Tile(0, 0, left_end, height, seam_right=True),
            _Tile(right_start, 0, width, height, seam_left=True),
        ]
    half = height / 2
    ov = overlap_frac * height / 2
    top_end = min(height, round(half + ov))
    bottom_start = max(0, round(half - ov))
    return [
        _Tile(0, 0, width, top_end, seam_bottom=True),
        _Tile(0, bottom_start, width, height, seam_top=True),
    ]


def grid_tiles(width: int, height: int, cols: int, rows: int, overlap_frac: float) -> list[_Tile]:
    """A ``cols`` x ``rows`` grid of overlapping crops of a ``width`` x ``height`` frame.

    Neighbouring crops overlap by ``overlap_frac`` of the frame's longer side, so that a
    person up to that wide is whole in at least one crop.
    """
    if cols < 1 or rows < 1:
        raise InputError(f"a tile grid needs at least 1 x 1 tiles, got {cols} x {rows}")
    ov = overlap_frac * max(width, height) / 2

    def cuts(n: int, size: int) -> list[tuple[int, int]]:
        step = size / n
        return [
            (max(0, round(i * step - ov)) if i else 0, min(size, round((i + 1) * step + ov)))
            if i < n - 1
            else (max(0, round(i * step - ov)) if i else 0, size)
            for i in range(n)
        ]

    tiles = []
    for r, (y0, y1) in enumerate(cuts(rows, height)):
        for c, (x0, x1) in enumerate(cuts(cols, width)):
            tiles.append(_Tile(x0, y0, x1, y1, c > 0, c < cols - 1, r > 0, r < rows - 1))
    return tiles


def _nanodet_anchors(
    input_w: int = _NANODET_INPUT, input_h: int = _NANODET_INPUT
) -> tuple[FloatArray, FloatArray]:
    """Cell centres (A, 2) in input pixels and strides (A,), in the model's output order
    (per stride, row by row)."""
    centres: list[FloatArray] = []
    strides: list[FloatArray] = []
    for stride in _NANODET_STRIDES:
        ys, xs = np.mgrid[0 : -(-input_h // stride), 0 : -(-input_w // stride)]
        # NanoDet (legacy GFL head, before NanoDet-Plus) puts priors at cell centres.
        xy = (np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32) + 0.5) * stride
        centres.append(xy)
        strides.append(np.full(len(xy), stride, dtype=np.float32))
    return np.concatenate(centres), np.concatenate(strides)


class NanoDetPersonDetector:
    """NanoDet-m (COCO) restricted to persons, with optional 2x1 tiling.

    ``score_threshold``: boxes below it are dropped; the class default is
    `PERSON_SCORE_THRESHOLD`, `create_person_detector` passes `PERSON_MIN_SCORE`. Since
    NMS is greedy by score, the boxes at or above any higher level are exactly what a
    detector with that threshold would give.

    ``tile_grid`` (cols, rows): tiles from `grid_tiles` instead of the two halves. On
    composite 1080p crowds (benchmarks/bench_crowd.py --grids) finer grids gained little
    AP50 for 1.5 to 2.5 times the time, so the halves stay the default.

    ``tiled`` None (default) tiles only frames whose longer side is at least
    ``tile_min_side_px``: the network sees 416 px, so a 1080p frame is shrunk 4.6 times
    and small people vanish, while a 768 px frame loses little and tiling would triple
    the cost for nothing.

    ``fit_input`` True (default): each pass's input is the 416 x 416 letterbox the file
    declares less the bands of pure padding (416 x 288 for a 16:9 frame), at the same
    scale and grid alignment: a full-frame pass costs about 0.7 of the square one and
    finds the same confident boxes (docs/benchmarks.md, "NanoDet input fitted to the
    frame"). Its weak boxes (0.15-0.4) differ from the square input's; one such ghost
    took a walker's track while the tracker gave weak boxes before its centre gate, which
    no longer happens (`cctrace.tracking.association`). False: the square input.

    ``runtime``: the runtime the network runs on (`cctrace.vision.runtime`; default
    ``CCTRACE_RUNTIME``, else OpenVINO, which computes in bf16 where the CPU has it).
    """

    name = "nanodet"

    def __init__(
        self,
        score_threshold: float = PERSON_SCORE_THRESHOLD,
        tiled: bool | None = None,
        iou_threshold: float = 0.5,
        tile_min_side_px: int = 960,
        tile_overlap_frac: float = 0.15,
        intra_op_num_threads: int | None = None,
        tile_grid: tuple[int, int] | None = None,
        fit_input: bool = True,
        runtime: Runtime | None = None,
    ) -> None:
        if not 0.0 < score_threshold < 1.0:
            raise InputError(f"score_threshold must be in (0, 1), got {score_threshold}")
        self.score_threshold = score_threshold
        self.tiled = tiled
        self.tile_min_side_px = tile_min_side_px
        self.iou_threshold = iou_threshold
        self.tile_overlap_frac = tile_overlap_frac
        self.tile_grid = tile_grid
        self.fit_input = fit_input
        path = model_path("nanodet")
        self._runner = load_graph(
            any_size_graph(path) if fit_input else path,
            f"file {path} (nanodet)",
            intra_op_num_threads,
            runtime,
        )
        self.runtime = self._runner.runtime
        self._anchors: dict[tuple[int, int], tuple[FloatArray, FloatArray]] = {}
        self._bins = np.arange(_NANODET_BINS, dtype=np.float32)

    def input_size(self, crop_w: int, crop_h: int) -> tuple[int, int]:
        """Network input (width, height) for a ``crop_w`` x ``crop_h`` crop: 416 x 416, or
        with ``fit_input`` that square letterbox less the whole 32-pixel bands of padding
        on either side of the picture (416 x 288 at 16:9)."""
        if not self.fit_input:
            return _NANODET_INPUT, _NANODET_INPUT
        # Only whole multiples of the coarsest stride come off, so the picture keeps its
        # place on every feature grid: cutting the padding to the nearest 32 rows instead
        # (416 x 256) moved the boxes' top edges by 3-4 px at 768x432 (1 % of a walker's
        # height) and changed which faces the head regions found.
        box = letterbox_fit(crop_w, crop_h, _NANODET_INPUT, _NANODET_INPUT)
        step = _NANODET_STRIDES[-1]
        cut_x = step * math.floor(box.pad_x / step)
        cut_y = step * math.floor(box.pad_y / step)
        return _NANODET_INPUT - 2 * cut_x, _NANODET_INPUT - 2 * cut_y

    def _detect_crop(self, crop_bgr: NDArray[np.uint8]) -> tuple[FloatArray, FloatArray]:
        """Person boxes (K, 4) in crop pixels and their scores (K,)."""
        input_w, input_h = self.input_size(crop_bgr.shape[1], crop_bgr.shape[0])
        canvas, box = _letterbox(crop_bgr, input_w, input_h, 0)
        # OpenCV's blob does the subtraction and the NCHW layout in one C++ pass: the same
        # float32 values as (canvas - mean) / std in numpy, bit for bit, at a sixth of the
        # time (2.7 -> 0.46 ms CPU at 416 x 416), and contiguous for ONNX Runtime.
        blob = cv2.dnn.blobFromImage(canvas, 1.0, None, _NANODET_MEAN_TUPLE, False, False)
        blob /= _NANODET_STD_NCHW
        cls_scores, box_bins = self._runner.run(blob)
        anchors = self._anchors.get((input_w, input_h))
        if anchors is None:
            anchors = self._anchors[(input_w, input_h)] = _nanodet_anchors(input_w, input_h)
        centres_xy, strides = anchors
        score = cls_scores[0, :, _PERSON_COCO]
        keep = np.flatnonzero(score > self.score_threshold)
        if len(keep) == 0:
            return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
        logits = box_bins[0, keep].reshape(-1, 4, _NANODET_BINS)
        # Distribution-focal decode: each side is the expectation of a softmax over bins,
        # in strides. Taking the argmax bin instead snaps sides to whole strides.
        logits = logits - logits.max(axis=2, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(axis=2, keepdims=True)
        dist = (prob @ self._bins) * strides[keep, None]  # (K, 4): left, top, right, bottom
        centre = centres_xy[keep]
        box_in = np.concatenate([centre - dist[:, :2], centre + dist[:, 2:]], axis=1)
        return box.to_source(box_in), score[keep]

    def detects_tiled(self, width_px: int, height_px: int) -> bool:
        """Whether `detect` tiles a frame of this size."""
        return (
            max(width_px, height_px) >= self.tile_min_side_px if self.tiled is None else self.tiled
        )

    def detect(
        self, image_bgr: ImageBGR, tiles: bool = True, full_pass: Detections | None = None
    ) -> Detections:
        """``tiles`` False: the full-frame pass only, even where this frame would be
        tiled (ingestion skips the tiles where no small person can be). ``full_pass``: the
        result of ``detect(image_bgr, tiles=False)`` already run on this frame, reused
        instead of running the full-frame pass again."""
        _check_image(image_bgr)
        h, w = image_bgr.shape[:2]
        if full_pass is None:
            boxes, scores = self._detect_crop(image_bgr)
        else:
            boxes, scores = full_pass.box_xyxy, full_pass.score
        all_boxes = [boxes]
        all_scores = [scores]
        tiled = tiles and self.detects_tiled(w, h)
        if tiled:
            layout = (
                split_tiles(w, h, self.tile_overlap_frac)
                if self.tile_grid is None
                else grid_tiles(w, h, *self.tile_grid, self.tile_overlap_frac)
            )
            for tile in layout:
                crop = image_bgr[tile.y0 : tile.y1, tile.x0 : tile.x1]
                tb, ts = self._detect_crop(crop)
                keep = _away_from_seams(tb, tile)
                tb = tb[keep] + np.array([tile.x0, tile.y0, tile.x0, tile.y0], np.float32)
                all_boxes.append(tb)
                all_scores.append(ts[keep])
        box_xyxy = clip_boxes(np.concatenate(all_boxes), w, h)
        score = np.concatenate(all_scores)
        keep_idx = nms_xyxy(box_xyxy, score, self.iou_threshold)
        return Detections(box_xyxy[keep_idx], score[keep_idx])


def _away_from_seams(box_xyxy: FloatArray, tile: _Tile) -> NDArray[np.bool_]:
    """Mask of tile boxes (K, 4) that do not touch an internal seam of the tile.

    A person cut by the seam gives a partial box whose IoU with the whole-person box from
    the other tile or the full frame can stay under the NMS threshold, which would count
    one person twice; the overlap makes sure someone narrower than it is whole in one tile.
    """
    tw, th = tile.x1 - tile.x0, tile.y1 - tile.y0
    margin = 0.01 * max(tw, th)
    keep = np.ones(len(box_xyxy), dtype=bool)
    if tile.seam_left:
        keep &= box_xyxy[:, 0] > margin
    if tile.seam_right:
        keep &= box_xyxy[:, 2] < tw - margin
    if tile.seam_top:
        keep &= box_xyxy[:, 1] > margin
    if tile.seam_bottom:
        keep &= box_xyxy[:, 3] < th - margin
    return keep


def _detect_layout(shape: tuple[int, ...]) -> Literal["yolov5", "yolov8", "end2end"] | None:
    """Guess the YOLO output layout from a (1, A, B) output shape; None if unsupported."""
    if len(shape) != 3 or shape[0] != 1:
        return None
    _, a, b = shape
    if a < b:
        # Channels first: 4 box + C class rows, thousands of anchor columns.
        return "yolov8" if a >= 5 else None
    if b == 6 and a <= _END2END_MAX_ROWS:
        return "end2end"
    return "yolov5" if b >= 6 else None


class OnnxYoloPersonDetector:
    """A user-supplied YOLO-family ONNX detector, keeping one class as persons.

    Supported output layouts (first output of the graph, batch 1, boxes in input pixels):

    - ``yolov5`` (YOLOv5/v7): (1, N, 5 + C) rows of cx, cy, w, h, objectness, C class
      scores; score = objectness x class score;
    - ``yolov8`` (YOLOv8/v11): (1, 4 + C, N) columns of cx, cy, w, h, C class scores;
    - ``end2end`` (YOLOv10, NMS inside): (1, N, 6) rows of x1, y1, x2, y2, score, class.

    ``layout="auto"`` decides from the shape: channels-first when the middle dimension is
    the smaller one, end-to-end for 6 columns and at most 1000 rows, else YOLOv5. Pass the
    layout explicitly for anything ambiguous (a one-class YOLOv5 model with few anchors).
    Input: letterboxed RGB / 255, NCHW, size from the model's input shape or
    ``input_size`` where the model leaves it dynamic.
    """

    def __init__(
        self,
        path: str | Path,
        score_threshold: float = 0.25,
        iou_threshold: float = 0.45,
        person_class_id: int = 0,
        layout: YoloLayout = "auto",
        input_size: int = 640,
        intra_op_num_threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = f"onnx-yolo:{self.path.name}"
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.person_class_id = person_class_id
        if layout not in ("auto", "yolov5", "yolov8", "end2end"):
            raise InputError(f"unknown YOLO layout {layout!r}; use auto, yolov5, yolov8 or end2end")
        self.layout: YoloLayout = layout
        if not self.path.is_file():
            raise InputError(f"person detector model {self.path} does not exist")
        try:
            self._session = ort_session(self.path, intra_op_num_threads)
        except Exception as exc:
            raise InputError(
                f"person detector model {self.path} is not a loadable ONNX file ({exc}); "
                "export your detector with opset 11 or later"
            ) from exc
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ModelError(
                f"person detector model {self.path} has input shape {shape}; "
                "expected NCHW (1, 3, H, W)"
            )
        h, w = shape[2], shape[3]
        self.input_h = h if isinstance(h, int) and h > 0 else input_size
        self.input_w = w if isinstance(w, int) and w > 0 else input_size
        self._input_dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
        out_shape = self._session.get_outputs()[0].shape
        if all(isinstance(d, int) for d in out_shape):
            # Fail at load time where the file declares its shape; dynamic shapes are
            # checked on the first frame instead.
            self._resolve_layout(tuple(int(d) for d in out_shape))

    def _resolve_layout(self, shape: tuple[int, ...]) -> Literal["yolov5", "yolov8", "end2end"]:
        detected = _detect_layout(shape)
        layout = detected if self.layout == "auto" else self.layout
        ok = layout is not None and len(shape) == 3 and shape[0] == 1
        if ok and layout == "yolov5":
            ok = shape[2] >= 6 and self.person_class_id < shape[2] - 5
        elif ok and layout == "yolov8":
            ok = shape[1] >= 5 and self.person_class_id < shape[1] - 4
        elif ok and layout == "end2end":
            ok = shape[2] == 6
        if not ok or layout is None:
            raise ModelError(
                f"person detector model {self.path} has output shape {list(shape)}, which "
                f"does not fit layout {self.layout!r} with person class "
                f"{self.person_class_id}; supported: (1, N, 5+C) yolov5, (1, 4+C, N) yolov8, "
                "(1, N, 6) end2end"
            )
        return layout

    def detect(self, image_bgr: ImageBGR) -> Detections:
        _check_image(image_bgr)
        h, w = image_bgr.shape[:2]
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        canvas, box = _letterbox(rgb, self.input_w, self.input_h, _YOLO_PAD_VALUE)
        blob = (canvas.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        raw = self._session.run(None, {self._input_name: blob.astype(self._input_dtype)})[0]
        out = np.asarray(raw, dtype=np.float32)
        layout = self._resolve_layout(out.shape)
        box_in, score = self._decode(out[0], layout)
        keep = score > self.score_threshold
        box_in, score = box_in[keep], score[keep]
        box_xyxy = clip_boxes(box.to_source(box_in), w, h)
        if layout != "end2end":
            idx = nms_xyxy(box_xyxy, score, self.iou_threshold)
            box_xyxy, score = box_xyxy[idx], score[idx]
        return Detections(box_xyxy, score)

    def _decode(
        self, out: FloatArray, layout: Literal["yolov5", "yolov8", "end2end"]
    ) -> tuple[FloatArray, FloatArray]:
        """Boxes (N, 4) xyxy in network-input pixels and person scores (N,)."""
        if layout == "end2end":
            is_person = np.rint(out[:, 5]).astype(np.int64) == self.person_class_id
            return out[:, :4], np.where(is_person, out[:, 4], 0.0).astype(np.float32)
        if layout == "yolov8":
            rows = out.T
            score = rows[:, 4 + self.person_class_id]
        else:
            rows = out
            score = rows[:, 4] * rows[:, 5 + self.person_class_id]
        cxcy, wh = rows[:, :2], rows[:, 2:4]
        return np.concatenate([cxcy - wh / 2, cxcy + wh / 2], axis=1), score.astype(np.float32)


def create_person_detector(
    spec: str | None,
    intra_op_num_threads: int | None = None,
    min_score: float = PERSON_MIN_SCORE,
) -> PersonDetector:
    """``None`` or ``"nanodet"``: the shipped NanoDet; a path to a ``.onnx`` file: the YOLO
    plugin with its defaults (person = class 0, layout from the output shape). Either
    keeps boxes down to ``min_score``; callers that want only people counted on their
    own keep ``score >= PERSON_SCORE_THRESHOLD``."""
    if spec is None or spec == "nanodet":
        return NanoDetPersonDetector(
            score_threshold=min_score, intra_op_num_threads=intra_op_num_threads
        )
    if spec.lower().endswith(".onnx") or Path(spec).is_file():
        return OnnxYoloPersonDetector(
            spec, score_threshold=min_score, intra_op_num_threads=intra_op_num_threads
        )
    raise InputError(
        f"unknown person detector {spec!r}: use 'nanodet' or the path of a YOLO-family .onnx file"
    )
