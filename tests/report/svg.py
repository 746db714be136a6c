"""Reading the report's SVGs back in tests: drawing size and camera dots (pixels)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Drawing:
    width_px: float
    height_px: float
    cameras: dict[str, tuple[float, float]]
    """Camera id to the centre of its dot (pixels, y down)."""

    def extent(self) -> tuple[float, float]:
        xs = [p[0] for p in self.cameras.values()]
        ys = [p[1] for p in self.cameras.values()]
        return max(xs) - min(xs), max(ys) - min(ys)


def read_map(svg: str) -> Drawing:
    root = ET.fromstring(svg)
    cameras = {
        c.attrib["data-camera"]: (float(c.attrib["cx"]), float(c.attrib["cy"]))
        for c in root.iter(f"{SVG_NS}circle")
        if c.attrib.get("class") == "camera"
    }
    return Drawing(float(root.attrib["width"]), float(root.attrib["height"]), cameras)


def svg_in_html(html: str, css_class: str) -> str:
    """The one inline ``<svg class=css_class>`` of a page."""
    found = re.findall(rf'<svg [^>]*class="{css_class}".*?</svg>', html, re.DOTALL)
    assert len(found) == 1, f"expected one {css_class} drawing, found {len(found)}"
    return str(found[0])
