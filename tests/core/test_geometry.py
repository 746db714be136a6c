"""Pure box geometry: IoU, NMS, letterbox mapping."""

from __future__ import annotations

import numpy as np
import pytest

from cctrace.core.geometry import (
    box_area,
    box_iou_batch,
    clip_boxes,
    letterbox_fit,
    nms_xyxy,
)


@pytest.mark.parametrize(
    ("box_a", "box_b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),
        ([0, 0, 10, 10], [5, 0, 15, 10], 50 / 150),
        ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),  # touching edges share no area
        ([0, 0, 10, 10], [20, 20, 30, 30], 0.0),
        ([0, 0, 10, 10], [2, 2, 8, 8], 36 / 100),  # contained
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # degenerate: 0, not NaN
        ([5, 5, 0, 0], [0, 0, 10, 10], 0.0),  # inverted box has no area
    ],
)
def test_box_iou_pairs(box_a: list[float], box_b: list[float], expected: float) -> None:
    iou = box_iou_batch(np.array([box_a]), np.array([box_b]))
    assert iou.shape == (1, 1)
    assert iou.dtype == np.float32
    assert iou[0, 0] == pytest.approx(expected, abs=1e-6)


def test_box_iou_batch_shape_and_symmetry() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, size=(7, 2))
    a = np.concatenate([xy, xy + rng.uniform(1, 50, size=(7, 2))], axis=1)
    b = a[:4] + 3.0
    iou = box_iou_batch(a, b)
    assert iou.shape == (7, 4)
    np.testing.assert_allclose(iou, box_iou_batch(b, a).T, atol=1e-7)
    assert np.all((iou >= 0) & (iou <= 1))
    np.testing.assert_allclose(np.diag(box_iou_batch(a, a)), 1.0, atol=1e-6)


@pytest.mark.parametrize(("n", "m"), [(0, 3), (3, 0), (0, 0)])
def test_box_iou_empty(n: int, m: int) -> None:
    assert box_iou_batch(np.zeros((n, 4)), np.zeros((m, 4))).shape == (n, m)


def test_box_iou_rejects_bad_shape() -> None:
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        box_iou_batch(np.zeros((2, 3)), np.zeros((1, 4)))


@pytest.mark.parametrize(
    ("boxes", "scores", "threshold", "expected"),
    [
        # two overlapping (IoU 0.82) + one apart: the weaker overlapping one goes
        ([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], [0.9, 0.8, 0.7], 0.5, [0, 2]),
        # same boxes, threshold above their IoU: all stay, ordered by score
        ([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], [0.7, 0.8, 0.9], 0.9, [2, 1, 0]),
        # the higher score wins regardless of input order
        ([[1, 0, 11, 10], [0, 0, 10, 10]], [0.3, 0.6], 0.5, [1]),
        # chain: A suppresses B, B would suppress C, but C is kept (B is gone)
        ([[0, 0, 10, 10], [6, 0, 16, 10], [12, 0, 22, 10]], [0.9, 0.8, 0.7], 0.2, [0, 2]),
        # IoU exactly at threshold is kept (strictly greater suppresses)
        ([[0, 0, 10, 10], [5, 0, 15, 10]], [0.9, 0.8], 1 / 3, [0, 1]),
        # equal scores: lower index first
        ([[0, 0, 10, 10], [50, 0, 60, 10]], [0.5, 0.5], 0.5, [0, 1]),
        ([], [], 0.5, []),
    ],
)
def test_nms(
    boxes: list[list[float]], scores: list[float], threshold: float, expected: list[int]
) -> None:
    keep = nms_xyxy(np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(scores), threshold)
    assert keep.dtype == np.intp
    assert keep.tolist() == expected


def test_nms_matches_bruteforce_definition() -> None:
    """Every kept pair overlaps at most the threshold; every dropped box overlaps a kept,
    higher-scoring one by more than it."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 200, size=(80, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 60, size=(80, 2))], axis=1)
    scores = rng.uniform(0, 1, size=80)
    keep = nms_xyxy(boxes, scores, 0.4)
    iou = box_iou_batch(boxes, boxes)
    kept_iou = iou[np.ix_(keep, keep)]
    assert np.all(kept_iou[~np.eye(len(keep), dtype=bool)] <= 0.4)
    for i in set(range(80)) - set(keep.tolist()):
        assert np.any((iou[i, keep] > 0.4) & (scores[keep] > scores[i]))


def test_nms_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="scores"):
        nms_xyxy(np.zeros((2, 4)), np.zeros(3), 0.5)


@pytest.mark.parametrize(
    ("src", "dst", "scale", "pad"),
    [
        ((1280, 720), (640, 640), 0.5, (0.0, 140.0)),
        ((720, 1280), (640, 640), 0.5, (140.0, 0.0)),
        ((416, 416), (416, 416), 1.0, (0.0, 0.0)),
        ((100, 50), (640, 640), 6.4, (0.0, 160.0)),
    ],
)
def test_letterbox_fit(
    src: tuple[int, int], dst: tuple[int, int], scale: float, pad: tuple[float, float]
) -> None:
    box = letterbox_fit(*src, *dst)
    assert box.scale == pytest.approx(scale)
    assert (box.pad_x, box.pad_y) == pad


def test_letterbox_round_trip() -> None:
    box = letterbox_fit(1920, 1080, 640, 640)
    src = np.array([[100.0, 200.0, 400.0, 900.0], [0.0, 0.0, 1920.0, 1080.0]])
    net = src.copy()
    net[:, [0, 2]] = net[:, [0, 2]] * box.scale + box.pad_x
    net[:, [1, 3]] = net[:, [1, 3]] * box.scale + box.pad_y
    np.testing.assert_allclose(box.to_source(net), src, atol=1e-3)


def test_clip_and_area() -> None:
    clipped = clip_boxes(np.array([[-5, -5, 50, 120]]), 40, 100)
    assert clipped.tolist() == [[0, 0, 40, 100]]
    assert box_area(np.array([[0, 0, 4, 5], [3, 3, 1, 1]])).tolist() == [20.0, 0.0]
