"""The site map: cameras and the route on one plane, as an SVG at a true aspect ratio.

Pure functions. One metre is the same number of pixels on both axes (never stretched);
the box fits the cameras with padding, and has a minimum span so that one camera, or
cameras on one line, still draw as a readable map. The route is drawn as numbered
arrows between stops (consecutive stays at one camera are one stop), with a scale bar of
a round length and a note on what the plane is (north up, or site-plan metres).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from cctrace.report.plane import NotPlaced, Plane, PlanePoint
from cctrace.report.stops import stop_cameras
from cctrace.report.words import length_label

MAP_BACKGROUND = "#eaf1f7"
"""The map's fill: a colour used nowhere else in the report (tests find the map by it)."""
ROUTE_COLOUR = "#c0392b"
CAMERA_COLOUR = "#4a5d70"
FONT = "DejaVu Sans, Verdana, sans-serif"
LABEL_PX = 11.0
MARGIN_PX = (14.0, 26.0, 14.0, 34.0)
"""Left, top, right, bottom: room for the frame note (top) and the scale bar (bottom)."""

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 in pixels (y down)."""


@dataclass(frozen=True)
class Viewport:
    """Metres to pixels: ``px_per_m`` on both axes; (``x0_m``, ``y1_m``) is the box's
    top-left corner in metres, drawn at the inner margin (``left_px``, ``top_px``)."""

    x0_m: float
    y1_m: float
    px_per_m: float
    width_px: float
    height_px: float
    left_px: float
    top_px: float

    def px(self, x_m: float, y_m: float) -> tuple[float, float]:
        return (
            self.left_px + (x_m - self.x0_m) * self.px_per_m,
            self.top_px + (self.y1_m - y_m) * self.px_per_m,
        )


@dataclass(frozen=True)
class SiteMap:
    """The SVG (empty when no camera could be placed) and what the page says under it."""

    svg: str
    note: str
    scale_bar_m: float | None
    not_placed: tuple[NotPlaced, ...]
    unlabelled: tuple[str, ...]
    """Cameras off the route drawn without a label, for lack of room."""


def nice_length_m(target_m: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``target_m`` (> 0)."""
    if not target_m > 0 or not math.isfinite(target_m):
        raise ValueError(f"a scale bar needs a positive length, not {target_m!r}")
    k = math.floor(math.log10(target_m))
    for m in (5, 2, 1):
        if m * 10.0**k <= target_m * (1 + 1e-9):
            return float(m * 10.0**k) if k >= 0 else round(m * 10.0**k, -k)
    return float(10.0**k)  # pragma: no cover - 1 × 10^k <= target always holds


def fit_viewport(
    xs_m: Sequence[float],
    ys_m: Sequence[float],
    max_width_px: float = 640.0,
    max_height_px: float = 360.0,
    min_span_m: float = 20.0,
    pad_fraction: float = 0.1,
    short_floor: float = 0.25,
) -> Viewport:
    """The viewport that fits N points (N >= 1) at one scale on both axes.

    Each axis spans at least ``min_span_m`` and ``short_floor`` of the longer axis (so a
    line of cameras gets room for labels), plus ``pad_fraction`` of the longer axis on
    every side; the drawing is then as large as ``max_width_px`` × ``max_height_px``
    allows, margins included.
    """
    if not xs_m:
        raise ValueError("a viewport needs at least one point")
    dx, dy = max(xs_m) - min(xs_m), max(ys_m) - min(ys_m)
    long_m = max(dx, dy, min_span_m)
    floor_m = max(min_span_m, short_floor * long_m)
    pad_m = pad_fraction * long_m
    box_w, box_h = max(dx, floor_m) + 2 * pad_m, max(dy, floor_m) + 2 * pad_m
    left, top, right, bottom = MARGIN_PX
    scale = min((max_width_px - left - right) / box_w, (max_height_px - top - bottom) / box_h)
    cx, cy = (max(xs_m) + min(xs_m)) / 2, (max(ys_m) + min(ys_m)) / 2
    return Viewport(
        x0_m=cx - box_w / 2,
        y1_m=cy + box_h / 2,
        px_per_m=scale,
        width_px=box_w * scale + left + right,
        height_px=box_h * scale + top + bottom,
        left_px=left,
        top_px=top,
    )


def _text_box(x: float, y: float, text: str, anchor: str, size: float, bold: bool) -> Box:
    width = len(text) * size * (0.66 if bold else 0.6)
    x0 = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (x0, y - size * 0.8, x0 + width, y + size * 0.25)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


@dataclass
class _Canvas:
    """The drawing's extent while labels are placed: a label may spill past the left or
    right edge while the two spills together stay within ``budget_px`` (the width left
    up to the maximum); the drawing then grows by the spills, its scale unchanged."""

    width_px: float
    height_px: float
    budget_px: float
    left_px: float = 0.0
    right_px: float = 0.0

    def spills(self, box: Box) -> tuple[float, float] | None:
        """The spills with ``box`` drawn, or None when it does not fit."""
        if box[1] < 2 or box[3] > self.height_px - 2:
            return None
        left = max(self.left_px, 2 - box[0])
        right = max(self.right_px, box[2] - (self.width_px - 2))
        return (left, right) if left + right <= self.budget_px else None

    def take(self, box: Box) -> None:
        left_right = self.spills(box)
        if left_right is not None:
            self.left_px, self.right_px = left_right


# Label spots around a camera dot: dx, dy (pixels, y down) and the text anchor.
_SPOTS = (
    (9.0, 4.0, "start"),
    (-9.0, 4.0, "end"),
    (0.0, -10.0, "middle"),
    (0.0, 18.0, "middle"),
    (7.0, -8.0, "start"),
    (7.0, 16.0, "start"),
    (-7.0, -8.0, "end"),
    (-7.0, 16.0, "end"),
    # A second ring, further out, for crowded spots.
    (0.0, -22.0, "middle"),
    (0.0, 30.0, "middle"),
    (12.0, -20.0, "start"),
    (12.0, 28.0, "start"),
    (-12.0, -20.0, "end"),
    (-12.0, 28.0, "end"),
)


def _place_label(
    x: float, y: float, text: str, bold: bool, taken: list[Box], canvas: _Canvas, must: bool
) -> tuple[float, float, str] | None:
    """The first free spot for a label (or, when ``must``, the least crowded one)."""
    best: tuple[float, tuple[float, float, str], Box] | None = None
    for dx, dy, anchor in _SPOTS:
        box = _text_box(x + dx, y + dy, text, anchor, LABEL_PX, bold)
        if canvas.spills(box) is None:
            continue
        crowd = sum(_overlap(box, t) for t in taken)
        if crowd == 0:
            taken.append(box)
            canvas.take(box)
            return x + dx, y + dy, anchor
        if best is None or crowd < best[0]:
            best = (crowd, (x + dx, y + dy, anchor), box)
    if not must:
        return None
    if best is None:  # no spot fits at all: to the right, whatever it covers
        return x + 9.0, y + 4.0, "start"
    taken.append(best[2])
    canvas.take(best[2])
    return best[1]


def _arrow(
    a: tuple[float, float], b: tuple[float, float], number: int, taken: list[Box]
) -> tuple[str, str, list[Box]]:
    """A bent arrow from dot ``a`` to dot ``b`` (bending right, so a way back is apart),
    the badge with the number of the stop it leads to (near the middle, where it covers
    nothing in ``taken``), and the boxes both cover."""
    (ax, ay), (bx, by) = a, b
    length = math.hypot(bx - ax, by - ay) or 1.0
    nx, ny = -(by - ay) / length, (bx - ax) / length
    bend = min(0.15 * length, 28.0)
    cx, cy = (ax + bx) / 2 + nx * bend, (ay + by) / 2 + ny * bend

    def toward(px: float, py: float, qx: float, qy: float, d: float) -> tuple[float, float]:
        n = math.hypot(qx - px, qy - py) or 1.0
        return px + (qx - px) / n * d, py + (qy - py) / n * d

    sx, sy = toward(ax, ay, cx, cy, 9.0)
    ex, ey = toward(bx, by, cx, cy, 10.0)

    def on_curve(s: float) -> tuple[float, float]:
        return (
            (1 - s) ** 2 * sx + 2 * (1 - s) * s * cx + s**2 * ex,
            (1 - s) ** 2 * sy + 2 * (1 - s) * s * cy + s**2 * ey,
        )

    covered: list[Box] = []
    for i in range(21):  # the curve, arrowhead included, as small boxes
        px, py = on_curve(i / 20)
        covered.append((px - 4, py - 4, px + 4, py + 4))
    spots = [on_curve(s) for s in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)]
    mx, my = next(
        (
            (x, y)
            for x, y in spots
            if not any(_overlap((x - 8, y - 8, x + 8, y + 8), box) for box in taken)
        ),
        spots[0],
    )
    covered.append((mx - 8, my - 8, mx + 8, my + 8))
    path = (
        f'<path d="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
        f'stroke="{ROUTE_COLOUR}" stroke-width="1.8" marker-end="url(#map-arrow)"/>'
    )
    badge = (
        f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="7.5" fill="#fff" stroke="{ROUTE_COLOUR}" '
        f'stroke-width="1.2"/><text x="{mx:.1f}" y="{my + 3.4:.1f}" font-size="9.5" '
        f'text-anchor="middle" fill="{ROUTE_COLOUR}" font-weight="bold">{number}</text>'
    )
    return path, badge, covered


def _frame_note(plane: Plane) -> str:
    if plane.frame == "geo":
        return "North up; metres from latitude/longitude (local projection)"
    site = f", site {plane.site}" if plane.site else ""
    return f"Site plan metres{site}; x to the right, y up"


def _scale_bar(vp: Viewport) -> tuple[str, float]:
    visible_m = (vp.width_px - MARGIN_PX[0] - MARGIN_PX[2]) / vp.px_per_m
    length_m = nice_length_m(visible_m / 4)
    x0, y = MARGIN_PX[0] + 4, vp.height_px - 12
    x1 = x0 + length_m * vp.px_per_m
    svg = (
        f'<g stroke="#222" stroke-width="1.5"><line x1="{x0:.1f}" y1="{y}" x2="{x1:.1f}" '
        f'y2="{y}"/><line x1="{x0:.1f}" y1="{y - 4}" x2="{x0:.1f}" y2="{y + 4}"/>'
        f'<line x1="{x1:.1f}" y1="{y - 4}" x2="{x1:.1f}" y2="{y + 4}"/></g>'
        f'<text x="{x1 + 6:.1f}" y="{y + 4}" font-size="{LABEL_PX}">'
        f"{escape(length_label(length_m))}</text>"
    )
    return svg, length_m


def _north_arrow(vp: Viewport) -> tuple[str, Box]:
    x, y = vp.width_px - MARGIN_PX[2] - 12, MARGIN_PX[1] + 6
    svg = (
        f'<path d="M{x},{y} l-6,16 l6,-4 l6,4 z" fill="#222"/>'
        f'<text x="{x}" y="{y + 29}" font-size="10" text-anchor="middle">N</text>'
    )
    return svg, (x - 8, y - 2, x + 8, y + 31)


def site_map(
    plane: Plane,
    route_camera_ids: Sequence[str],
    max_width_px: float = 640.0,
    max_height_px: float = 360.0,
) -> SiteMap:
    """The map of ``plane`` with the route (the stays' cameras in route order)."""
    if not plane.points:
        return SiteMap("", "", None, plane.not_placed, ())
    vp = fit_viewport(
        [p.x_m for p in plane.points], [p.y_m for p in plane.points], max_width_px, max_height_px
    )
    where = {p.camera_id: vp.px(p.x_m, p.y_m) for p in plane.points}
    stops = stop_cameras(list(route_camera_ids))
    stops_at: dict[str, list[int]] = {}
    for number, camera_id in enumerate(stops, start=1):
        stops_at.setdefault(camera_id, []).append(number)

    w, h = vp.width_px, vp.height_px
    canvas = _Canvas(w, h, max(0.0, max_width_px - w))
    note = _frame_note(plane)
    parts = [
        f'<text x="{MARGIN_PX[0] + 4}" y="17" font-size="10" fill="#444">{escape(note)}</text>'
    ]
    taken: list[Box] = [(0, 0, len(note) * 6.0 + 20, 22)]
    if plane.frame == "geo":
        svg, box = _north_arrow(vp)
        parts.append(svg)
        taken.append(box)
    bar, bar_m = _scale_bar(vp)
    parts.append(bar)
    taken.append((0, h - 26, MARGIN_PX[0] + 4 + bar_m * vp.px_per_m + 60, h))
    for p in where.values():
        taken.append((p[0] - 7, p[1] - 7, p[0] + 7, p[1] + 7))

    badges = []
    for number in range(2, len(stops) + 1):
        a, b = stops[number - 2], stops[number - 1]
        if a in where and b in where:
            path, badge, boxes = _arrow(where[a], where[b], number, taken)
            parts.append(path)
            badges.append(badge)
            taken.extend(boxes)
    parts.extend(badges)  # over every arrow

    unlabelled: list[str] = []
    order = sorted(plane.points, key=lambda p: (p.camera_id not in stops_at, p.camera_id))
    for point in order:
        parts.append(_camera(point, where[point.camera_id], stops_at.get(point.camera_id)))
    for point in order:
        numbers = stops_at.get(point.camera_id)
        text = point.camera_id
        if numbers:
            word = "stop" if len(numbers) == 1 else "stops"
            text += f" · {word} {', '.join(map(str, numbers))}"
        x, y = where[point.camera_id]
        spot = _place_label(x, y, text, bool(numbers), taken, canvas, must=bool(numbers))
        if spot is None:
            unlabelled.append(point.camera_id)
            continue
        weight = ' font-weight="bold"' if numbers else ""
        if abs(spot[0] - x) > 10 or abs(spot[1] - y) > 18:  # a far spot: lead to the dot
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{spot[0]:.1f}" y2="{spot[1] - 4:.1f}" '
                'stroke="#777" stroke-width="0.7"/>'
            )
        parts.append(
            f'<text x="{spot[0]:.1f}" y="{spot[1]:.1f}" font-size="{LABEL_PX}" '
            f'text-anchor="{spot[2]}"{weight}>{escape(text)}</text>'
        )

    # Labels that spilled past an edge widen the drawing (same scale, more room).
    x0, full_w = -canvas.left_px, w + canvas.left_px + canvas.right_px
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sitemap" width="{full_w:.0f}" '
        f'height="{h:.0f}" viewBox="{x0:.1f} 0 {full_w:.1f} {h:.1f}" font-family="{FONT}" '
        'fill="#222"><defs><marker id="map-arrow" viewBox="0 0 10 10" refX="8" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{ROUTE_COLOUR}"/></marker></defs>'
        f'<rect x="{x0 + 0.5:.1f}" y="0.5" width="{full_w - 1:.1f}" height="{h - 1:.1f}" '
        f'fill="{MAP_BACKGROUND}" stroke="#9aa9b8"/>'
    )
    svg = head + "".join(parts) + "</svg>"
    return SiteMap(svg, note, bar_m, plane.not_placed, tuple(unlabelled))


def _camera(point: PlanePoint, at: tuple[float, float], stops: list[int] | None) -> str:
    colour, r = (ROUTE_COLOUR, 6.0) if stops else (CAMERA_COLOUR, 4.5)
    title = point.camera_id if point.name in ("", point.camera_id) else point.name
    return (
        f'<circle class="camera" data-camera="{escape(point.camera_id)}" cx="{at[0]:.2f}" '
        f'cy="{at[1]:.2f}" r="{r}" fill="{colour}" stroke="#fff" stroke-width="1.2">'
        f"<title>{escape(title)}</title></circle>"
    )
