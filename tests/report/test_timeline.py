"""The route's time bar: rows per camera, bars per stay, ticks in HH:MM UTC."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from cctrace.report.stops import stop_cameras, stop_numbers
from cctrace.report.timeline import TimelineStay, tick_step_s, timeline_svg
from tests.report.svg import SVG_NS

T0 = datetime(2026, 12, 7, 10, 0, 5, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("cameras", "numbers", "stops"),
    [
        ([], [], []),
        (["A"], [1], ["A"]),
        (["A", "A", "B", "A"], [1, 1, 2, 3], ["A", "B", "A"]),
        (["A", "B", "B", "C", "B"], [1, 2, 2, 3, 4], ["A", "B", "C", "B"]),
    ],
)
def test_stops(cameras: list[str], numbers: list[int], stops: list[str]) -> None:
    assert stop_numbers(cameras) == numbers
    assert stop_cameras(cameras) == stops


@pytest.mark.parametrize(
    ("span_s", "step_s"),
    [
        (60, 60),
        (300, 60),
        (35 * 60, 300),
        (3 * 3600, 1800),
        (20 * 3600, 10800),
        (9 * 86400, 172800),
    ],
)
def test_tick_step(span_s: float, step_s: int) -> None:
    assert tick_step_s(span_s) == step_s


def test_no_stay_no_drawing() -> None:
    assert timeline_svg([]) == ""


def test_rows_bars_ticks_and_numbers() -> None:
    stays = [
        TimelineStay("cam-A", at(0), at(4.5), 1),
        TimelineStay("cam-A", at(4.8), at(6), 1),
        TimelineStay("cam-B", at(8), at(21), 2),
        TimelineStay("cam-C", at(24), at(26), 3),
        TimelineStay("cam-B", at(28), at(35), 4),
    ]
    svg = timeline_svg(stays)
    root = ET.fromstring(svg)
    bars = list(root.iter(f"{SVG_NS}rect"))
    assert len(bars) == 5
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    assert [t for t in texts if t.startswith("cam-")] == ["cam-A", "cam-B", "cam-C"]
    ticks = [t for t in texts if re.fullmatch(r"\d\d:\d\d", t)]
    assert ticks[0] == "10:00" and ticks[-1] == "10:40" and len(ticks) == 9
    assert sorted({t for t in texts if t.isdigit()}) == ["1", "2", "3", "4"]
    # Bars come row by row (A, A, B, B, C), each from its start to its end on one scale.
    x = [float(b.attrib["x"]) for b in bars]
    w = [float(b.attrib["width"]) for b in bars]
    assert w[2] / w[3] == pytest.approx(13 / 7, rel=0.02)
    assert x[0] < x[1] < x[2] < x[4] < x[3]
    assert [float(b.attrib["y"]) for b in bars] == sorted(float(b.attrib["y"]) for b in bars)


def test_a_route_over_midnight_says_the_day() -> None:
    late = datetime(2026, 12, 7, 23, 40, tzinfo=UTC)
    stays = [
        TimelineStay("cam-A", late, late + timedelta(minutes=10), 1),
        TimelineStay("cam-B", late + timedelta(minutes=30), late + timedelta(minutes=45), 2),
    ]
    svg = timeline_svg(stays)
    assert ">23:40<" in svg
    assert ">12-08 00:00<" in svg


def test_short_stays_keep_readable_numbers() -> None:
    stays = [TimelineStay("cam-A", at(i), at(i + 0.05), i + 1) for i in range(0, 120, 3)]
    svg = timeline_svg(stays)
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="9" [^>]*>(\d+)</text>', svg)
    xs = [float(x) for x, _ in labels]
    assert len(labels) == 40
    assert all(b - a >= 6 for a, b in itertools.pairwise(xs)), "numbers never overlap"
