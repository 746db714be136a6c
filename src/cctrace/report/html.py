"""A self-contained HTML summary of one trace: route timeline, site map, contacts.

No external resources (fonts, scripts, tiles): the page works with no internet access.
It shows no face at all: faces in exports are a later, audited feature.
"""

from __future__ import annotations

import html
import itertools
from datetime import UTC, datetime

from cctrace.store.records import CameraRecord
from cctrace.trace.types import TraceResult

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .6em}
th{background:#eee}.high{color:#b00;font-weight:bold}.medium{color:#c60}.low{color:#555}
.note{color:#555;font-size:.9em}
"""


def _t(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%d %H:%M:%S")


def site_map_svg(cameras: list[CameraRecord], result: TraceResult, size_px: int = 420) -> str:
    """Cameras (site-plan metres) as dots, the route as numbered arrows between them."""
    placed = {c.camera_id: (c.x_m, c.y_m) for c in cameras if c.x_m is not None}
    if not placed:
        return "<p class=note>No camera has a site-plan position: no map.</p>"
    xs = [p[0] for p in placed.values() if p[0] is not None]
    ys = [p[1] for p in placed.values() if p[1] is not None]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1.0)
    pad = 40

    def xy(c: str) -> tuple[float, float]:
        x, y = placed[c]
        assert x is not None and y is not None
        s = (size_px - 2 * pad) / span
        return pad + (x - x0) * s, size_px - pad - (y - y0) * s

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        'style="border:1px solid #bbb;background:#fafafa">',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="6" refY="3" '
        'orient="auto"><path d="M0,0 L6,3 L0,6 z" fill="#b00"/></marker></defs>',
    ]
    stops = [s.camera_id for s in result.route if s.camera_id in placed]
    for i, (a, b) in enumerate(itertools.pairwise(stops)):
        if a == b:
            continue
        (ax, ay), (bx, by) = xy(a), xy(b)
        parts.append(
            f'<line x1="{ax:.0f}" y1="{ay:.0f}" x2="{bx:.0f}" y2="{by:.0f}" stroke="#b00" '
            f'stroke-width="2" marker-end="url(#a)"><title>step {i + 1}</title></line>'
        )
    visited = set(stops)
    for cid in placed:
        x, y = xy(cid)
        colour = "#b00" if cid in visited else "#447"
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="6" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 9:.0f}" y="{y + 4:.0f}" font-size="12">{html.escape(cid)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trace_html(
    result: TraceResult, cameras: list[CameraRecord], title: str, extra_html: str = ""
) -> str:
    """The whole page as one string."""
    rows = "".join(
        f"<tr><td>{html.escape(s.camera_id)}</td><td>{html.escape(s.site or '')}</td>"
        f"<td>{_t(s.t_start_s)}</td><td>{_t(s.t_end_s)}</td><td>{s.confidence:.2f}</td>"
        f"<td>{'?' if s.masked_ratio != s.masked_ratio else f'{s.masked_ratio:.0%}'}</td>"
        f"<td>{s.evidence}</td></tr>"
        for s in result.route
    )
    contacts = "".join(
        f"<tr><td>{html.escape(c.contact_id)}</td><td class={c.risk}>{c.risk}</td>"
        f"<td>{c.exposure_s / 60:.1f} min</td><td>{c.min_distance_m:.2f} m"
        f"{' (approx.)' if c.distance_approximate else ''}</td>"
        f"<td>{c.patient_masked}</td><td>{c.contact_masked}</td>"
        f"<td>{html.escape(', '.join(sorted({e.camera_id for e in c.encounters})))}</td></tr>"
        for c in result.contacts
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Case <b>{html.escape(result.case_id)}</b>, policy <b>{html.escape(result.policy)}</b>,
traced in {result.elapsed_s:.2f} s; the patient's face had to reach a similarity of
{result.face_threshold:.3f} (set over {result.faces_searched:,} faces searched).</p>
<h2>Route</h2>
<table><tr><th>camera</th><th>site</th><th>from (UTC)</th><th>to (UTC)</th>
<th>confidence</th><th>masked</th><th>evidence</th></tr>{rows}</table>
<h2>Site map</h2>{site_map_svg(cameras, result)}
<h2>Contacts</h2>
<table><tr><th>contact</th><th>risk</th><th>exposure</th><th>closest</th>
<th>patient masked</th><th>contact masked</th><th>cameras</th></tr>{contacts}</table>
{extra_html}
<p class=note>No face is shown in this summary. Contact ids are opaque and carry no
personal data.</p>
</body></html>
"""
