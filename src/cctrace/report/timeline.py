"""The route as a time bar (SVG): one row per camera, one bar per stay, ticks in UTC.

Pure functions. Stays carry their stop number (`cctrace.report.stops`), the same as on
the site map, so "stop 3" is one thing on the whole report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from cctrace.report.words import as_utc

FONT = "DejaVu Sans, Verdana, sans-serif"
BAR_COLOUR = "#c0392b"
TICK_STEPS_S = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
ROW_PX = 28.0
AXIS_PX = 26.0
LABEL_MAX_CHARS = 22


@dataclass(frozen=True)
class TimelineStay:
    camera_id: str
    start: datetime
    end: datetime
    stop: int


def tick_step_s(span_s: float, max_ticks: int = 8) -> int:
    """The smallest round step (1 min ... 1 day) giving at most ``max_ticks`` intervals
    over ``span_s`` seconds (a day, or a multiple of a day, beyond that)."""
    for step in TICK_STEPS_S:
        if span_s / step <= max_ticks:
            return step
    days = math.ceil(span_s / 86400 / max_ticks)
    return 86400 * max(1, days)


def _tick_label(t_s: float, previous_day: str | None) -> tuple[str, str]:
    moment = datetime.fromtimestamp(t_s, UTC)
    day = moment.strftime("%Y-%m-%d")
    label = moment.strftime("%H:%M")
    if previous_day is not None and day != previous_day:
        label = moment.strftime("%m-%d %H:%M")
    return label, day


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1] + "…"


def timeline_svg(stays: Sequence[TimelineStay], width_px: float = 680.0) -> str:
    """The time bar of ``stays`` (empty string when there are none)."""
    if not stays:
        return ""
    rows = list(dict.fromkeys(s.camera_id for s in stays))
    t_lo = min(as_utc(s.start).timestamp() for s in stays)
    t_hi = max(as_utc(s.end).timestamp() for s in stays)
    step = tick_step_s(max(t_hi - t_lo, 60.0))
    t0 = math.floor(t_lo / step) * step
    t1 = max(math.ceil(t_hi / step) * step, t0 + step)
    label_w = min(max(len(_short(r)) for r in rows) * 6.6 + 14, 170.0)
    x_lo, x_hi = label_w, width_px - 22
    height = len(rows) * ROW_PX + AXIS_PX + 4

    def x_of(t_s: float) -> float:
        return x_lo + (t_s - t0) / (t1 - t0) * (x_hi - x_lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width_px:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width_px:.1f} {height:.1f}" '
        f'font-family="{FONT}" fill="#222">'
    ]
    axis_y = len(rows) * ROW_PX + 4
    day: str | None = None
    t = t0
    while t <= t1 + 1e-6:
        x = x_of(t)
        label, day = _tick_label(t, day)
        parts.append(
            f'<line x1="{x:.1f}" y1="2" x2="{x:.1f}" y2="{axis_y + 4:.1f}" stroke="#d5d9de"/>'
            f'<text x="{x:.1f}" y="{axis_y + 17:.1f}" font-size="10" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        t += step
    parts.append(
        f'<line x1="{x_lo:.1f}" y1="{axis_y:.1f}" x2="{x_hi:.1f}" y2="{axis_y:.1f}" stroke="#666"/>'
    )
    for i, camera_id in enumerate(rows):
        y = 4 + i * ROW_PX
        parts.append(
            f'<text x="4" y="{y + 19:.1f}" font-size="11">{escape(_short(camera_id))}</text>'
        )
        last_label_end = -math.inf
        for stay in (s for s in stays if s.camera_id == camera_id):
            xa = x_of(as_utc(stay.start).timestamp())
            xb = max(x_of(as_utc(stay.end).timestamp()), xa + 3)
            parts.append(
                f'<rect x="{xa:.1f}" y="{y + 10:.1f}" width="{xb - xa:.1f}" height="12" '
                f'rx="2" fill="{BAR_COLOUR}"><title>stop {stay.stop}</title></rect>'
            )
            text = str(stay.stop)
            text_w = len(text) * 6.2
            if xb - xa >= text_w + 6:
                parts.append(
                    f'<text x="{(xa + xb) / 2:.1f}" y="{y + 20:.1f}" font-size="9.5" '
                    f'text-anchor="middle" fill="#fff" font-weight="bold">{text}</text>'
                )
                continue
            # Too short to hold its number: above the bar, or beside the last label.
            cx = max((xa + xb) / 2, last_label_end + text_w / 2 + 2)
            last_label_end = cx + text_w / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{y + 8:.1f}" font-size="9" text-anchor="middle" '
                f'fill="{BAR_COLOUR}" font-weight="bold">{text}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
