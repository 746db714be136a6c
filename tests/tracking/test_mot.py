from __future__ import annotations

import numpy as np
import pytest

from cctrace.core.types import Detections, TrackedDetections
from cctrace.tracking.mot import mot_metrics, parse_mot_lines, to_mot_lines


def test_to_mot_lines_is_one_based_with_top_left_and_size() -> None:
    tracked = TrackedDetections(
        Detections(np.array([[10.0, 20.0, 50.0, 120.0]]), np.array([0.875])),
        np.array([7]),
    )
    assert to_mot_lines(0, tracked) == ["1,7,10.00,20.00,40.00,100.00,0.8750,-1,-1,-1"]
    assert to_mot_lines(4, TrackedDetections(Detections.empty(), np.zeros(0, np.int64))) == []
    with pytest.raises(ValueError, match="0-based"):
        to_mot_lines(-1, tracked)


def test_parse_round_trips_and_reports_bad_lines() -> None:
    frames = parse_mot_lines(["", "# comment", "3,2,10,20,40,100,1,-1,-1,-1"])
    assert list(frames) == [3]
    np.testing.assert_allclose(frames[3].box_xyxy, [[10, 20, 50, 120]])
    assert frames[3].ids.tolist() == [2]
    with pytest.raises(ValueError, match="line 1"):
        parse_mot_lines(["1,2,3"])
    with pytest.raises(ValueError, match="not numeric"):
        parse_mot_lines(["1,a,3,4,5,6"])


def _line(frame: int, tid: int, x: float) -> str:
    return f"{frame},{tid},{x},0,40,100,1,-1,-1,-1"


GT = [_line(f, 1, 10 * f) for f in range(1, 7)] + [_line(f, 2, 500) for f in range(1, 7)]


@pytest.mark.parametrize(
    ("pred", "fp", "fn", "switches"),
    [
        # Perfect, with arbitrary predicted IDs.
        (
            [_line(f, 5, 10 * f) for f in range(1, 7)] + [_line(f, 9, 500) for f in range(1, 7)],
            0,
            0,
            0,
        ),
        # Person 1 changes ID once, at frame 4.
        (
            [_line(f, 5 if f < 4 else 6, 10 * f) for f in range(1, 7)]
            + [_line(f, 9, 500) for f in range(1, 7)],
            0,
            0,
            1,
        ),
        # Person 2 missed on two frames, one false box elsewhere.
        (
            [_line(f, 5, 10 * f) for f in range(1, 7)]
            + [_line(f, 9, 500) for f in range(1, 5)]
            + [_line(3, 11, 900)],
            1,
            2,
            0,
        ),
        # A box too far off (IoU < 0.5) is both a miss and a false positive.
        (
            [_line(f, 5, 10 * f + (30 if f == 2 else 0)) for f in range(1, 7)]
            + [_line(f, 9, 500) for f in range(1, 7)],
            1,
            1,
            0,
        ),
        # Nothing predicted.
        ([], 0, 12, 0),
    ],
)
def test_mot_metrics_counts(pred: list[str], fp: int, fn: int, switches: int) -> None:
    m = mot_metrics(GT, pred)
    assert (m.num_false_positives, m.num_misses, m.num_switches) == (fp, fn, switches)
    assert m.num_gt == 12
    assert m.mota == pytest.approx(1 - (fp + fn + switches) / 12)


def test_a_kept_correspondence_beats_a_better_overlap() -> None:
    # Two ground-truth people side by side; the tracker's ID 5 follows person 1 and a new
    # box (ID 6) overlaps person 1 slightly better: CLEAR-MOT keeps 5 on person 1, no switch.
    gt = [_line(1, 1, 0), _line(2, 1, 0)]
    pred = [_line(1, 5, 0), _line(2, 5, 8), _line(2, 6, 2)]
    m = mot_metrics(gt, pred)
    assert m.num_switches == 0
    assert m.num_false_positives == 1
