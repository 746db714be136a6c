"""The rendered report: PDF text and pages, self-contained HTML, CSV, human words, map."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from numpy.typing import NDArray
from pypdf import PdfReader

from cctrace.core.errors import InputError
from cctrace.report.model import EvidenceThumb, ReportData
from cctrace.report.render import render_csv, render_html, render_pdf
from cctrace.report.sitemap import MAP_BACKGROUND, ROUTE_COLOUR
from tests.report.conftest import CAMERAS, CONTACT_IDS, ROUTE_CAMERAS
from tests.report.svg import read_map, svg_in_html

RAW_LITERALS = re.compile(r"\b(None|True|False|NaN|nan|null|NULL|Null)\b")
PYTHON_OR_JSON = re.compile(r"\[['\"]|\{['\"]|['\"]\]|['\"]:\s")


class _Text(HTMLParser):
    """The visible text of a page (no markup, no CSS)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def html(report_data: ReportData) -> str:
    return render_html(report_data)


@pytest.fixture(scope="module")
def pdf(report_data: ReportData) -> bytes:
    return render_pdf(report_data)


def test_pdf_holds_route_contacts_risks_and_trace(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(pdf_pages(pdf))
    for camera_id in ROUTE_CAMERAS:
        assert camera_id in text
    for contact_id in CONTACT_IDS:
        assert contact_id in text
    for risk in ("high", "medium", "low"):
        assert re.search(rf"\b{risk}\b", text)
    assert "run-4b9e2f10" in text
    assert "page 1 of" in text
    assert "2026-12-07 10:08:30 UTC" in text
    assert "(approximate)" in text


def test_every_pdf_page_has_the_footer(pdf: bytes) -> None:
    pages = pdf_pages(pdf)
    assert 1 < len(pages) <= 4, "the sample report fits on a few pages"
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in text
        assert "audit entry 1289" in text
        assert "report rpt-7c1d0e55" in text


def test_html_is_self_contained(html: str) -> None:
    without_xmlns = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in without_xmlns
    assert "https://" not in without_xmlns
    assert 'src="/' not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
    sources = re.findall(r'src="([^"]*)"', html)
    assert len(sources) == 2
    assert all(s.startswith(("data:image/jpeg;base64,", "data:image/png;base64,")) for s in sources)
    assert set(re.findall(r"url\(([^)]*)\)", html)) == {"#map-arrow"}
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2  # timeline, map


def test_html_escapes_what_users_typed(report_data: ReportData) -> None:
    case = replace(report_data.case, label='<img src="x" onerror="alert(1)"> & co')
    page = render_html(replace(report_data, case=case))
    assert '<img src="x"' not in page
    assert "&lt;img src=&#34;x&#34; onerror=&#34;alert(1)&#34;&gt; &amp; co" in page


def test_html_content_for_the_file(html: str) -> None:
    text = html_text(html)
    for needle in (
        "Contact-tracing report: case case-2026-0412",
        "Station cluster, patient 3",
        "2026-12-07 08:00:00 UTC to 2026-12-07 20:00:00 UTC",
        "site Central Station; cameras cam-A, cam-B, cam-C, cam-D, cam-E",
        "the patient in person",
        "3f2b8c1e" * 8,
        "inv-kim",
        "kdca-2022",
        "within 2 m for 15 min cumulative, unless both properly masked",
        "within 2 m for 15 min cumulative, summed over the whole case window",
        "rpt-7c1d0e55",
        "a1b2c3d4" * 8,
        "2026-12-08 09:12:40 UTC",
        "cam-E: no position recorded",
        "stay 3, camera cam-B, 10:12:40",
        "5 stays at 3 cameras; 4 contacts: 1 high risk, 1 medium risk, 2 low risk.",
    ):
        assert needle in text, needle
    # Contacts in risk order, then exposure; risks coloured by class.
    order = [text.index(c) for c in ("ct-9f2a41", "ct-03bd77", "ct-5e10c2", "ct-a8e4d9")]
    assert order == sorted(order)
    assert 'class="risk risk-high">high<' in html


def test_csv_contacts(report_data: ReportData) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report_data))))
    header, body = rows[0], rows[1:]
    assert header == [
        "contact id",
        "risk",
        "exposure minutes",
        "closest distance m",
        "distance approximate",
        "patient mask",
        "contact mask",
        "cameras",
        "first seen",
        "last seen",
    ]
    assert len(body) == len(report_data.trace.contacts)
    assert [r[0] for r in body] == ["ct-9f2a41", "ct-03bd77", "ct-5e10c2", "ct-a8e4d9"]
    assert [r[1] for r in body] == ["high", "medium", "low", "low"]
    assert body[0][2:] == [
        "16.8",
        "0.64",
        "no",
        "not masked",
        "masked",
        "cam-B",
        "2026-12-07 10:08:40 UTC",
        "2026-12-07 10:35:00 UTC",
    ]
    assert body[2][4:7] == [
        "yes",
        "unknown (face too small or not seen)",
        "unknown (face too small or not seen)",
    ]
    assert body[1][7] == "cam-A, cam-B"


def test_csv_route(report_data: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(report_data, "route"))))
    assert [r["stop"] for r in rows] == ["1", "1", "2", "3", "4"]
    assert [r["camera"] for r in rows] == ["cam-A", "cam-A", "cam-B", "cam-C", "cam-B"]
    assert rows[3]["masked share"] == "unknown"
    assert rows[2]["masked share"] == "40%"
    assert rows[2]["duration"] == "12 min 30 s"
    assert rows[0]["from"] == "2026-12-07 10:00:05 UTC"
    assert rows[0]["evidence"] == "face match"
    assert rows[0]["site"] == "Central Station"


def test_csv_cells_never_run_as_formulas(report_data: ReportData) -> None:
    route = [s.model_copy(update={"site": "=HYPERLINK(1)"}) for s in report_data.trace.route]
    data = replace(report_data, trace=report_data.trace.model_copy(update={"route": route}))
    rows = list(csv.DictReader(io.StringIO(render_csv(data, "route"))))
    assert rows[0]["site"] == "'=HYPERLINK(1)"


def test_map_is_true_to_scale_and_fills_its_drawing(html: str) -> None:
    drawing = read_map(svg_in_html(html, "sitemap"))
    placed = [c for c in CAMERAS if c.x_m is not None and c.y_m is not None]
    assert set(drawing.cameras) == {c.camera_id for c in placed}
    dx_m = max(c.x_m or 0.0 for c in placed) - min(c.x_m or 0.0 for c in placed)
    dy_m = max(c.y_m or 0.0 for c in placed) - min(c.y_m or 0.0 for c in placed)
    dx_px, dy_px = drawing.extent()
    assert dx_px / dy_px == pytest.approx(dx_m / dy_m, rel=0.02)
    if drawing.width_px >= drawing.height_px:
        assert dx_px > 0.5 * drawing.width_px
    else:
        assert dy_px > 0.5 * drawing.height_px


def _rgb(hex_colour: str) -> NDArray[np.int16]:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.int16)


def test_map_page_draws_the_route_across_the_map(pdf: bytes) -> None:
    document = pdfium.PdfDocument(pdf)
    index = next(i for i, text in enumerate(pdf_pages(pdf)) if "Site map" in text)
    image = np.asarray(document[index].render(scale=1.5).to_pil().convert("RGB"), np.int16)
    background = np.abs(image - _rgb(MAP_BACKGROUND)).max(axis=2) <= 3
    rows, cols = np.nonzero(background)
    assert rows.size > 50_000, "the map's background is on the page"
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    map_px = image[top : bottom + 1, left : right + 1]
    red = np.abs(map_px - _rgb(ROUTE_COLOUR)).max(axis=2) <= 40
    ink = np.abs(map_px - _rgb(MAP_BACKGROUND)).max(axis=2) > 60
    red_rows, red_cols = np.nonzero(red)
    ink_rows, ink_cols = np.nonzero(ink)
    height, width = map_px.shape[:2]
    assert (red_cols.max() - red_cols.min()) > 0.4 * width, "the route spreads across"
    assert (red_rows.max() - red_rows.min()) > 0.4 * height, "the route spreads down"
    assert (ink_cols.max() - ink_cols.min()) > 0.7 * width
    assert (ink_rows.max() - ink_rows.min()) > 0.7 * height


@pytest.fixture(scope="module")
def empty_pdf(empty_report: ReportData) -> bytes:
    return render_pdf(empty_report)


@pytest.mark.parametrize(
    ("which", "its_pdf"),
    [("report_data", "pdf"), ("empty_report", "empty_pdf"), ("sparse_report", None)],
)
def test_human_words_only(which: str, its_pdf: str | None, request: pytest.FixtureRequest) -> None:
    data: ReportData = request.getfixturevalue(which)
    pdf: bytes = request.getfixturevalue(its_pdf) if its_pdf else render_pdf(data)
    page = render_html(data)
    for text in (html_text(page), "\n".join(pdf_pages(pdf))):
        assert not RAW_LITERALS.search(text), RAW_LITERALS.findall(text)
        assert not PYTHON_OR_JSON.search(text), PYTHON_OR_JSON.findall(text)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", text), "no ISO T-times"
    stripped = re.sub(r'src="data:[^"]*"', "", page)
    assert not RAW_LITERALS.search(stripped), RAW_LITERALS.findall(stripped)
    for table in ("contacts", "route"):
        assert not RAW_LITERALS.search(render_csv(data, table))


def test_sparse_report_says_unknown_and_dash(sparse_report: ReportData) -> None:
    text = html_text(render_html(sparse_report))
    # both masks of the contact: unknown, with why
    assert "unknown (face too small or not seen) unknown (face too small or not seen)" in text
    assert "no encounter recorded" in text
    assert "Region no camera" in text
    assert "audit entry not recorded" in text
    assert "cam-A: no position recorded" in text
    route = list(csv.DictReader(io.StringIO(render_csv(sparse_report, "route"))))
    assert {r["site"] for r in route} == {"—"}
    contacts = list(csv.DictReader(io.StringIO(render_csv(sparse_report))))
    assert contacts[0]["closest distance m"] == "—"
    assert contacts[0]["first seen"] == "—"


def test_empty_report_is_one_page(empty_report: ReportData, empty_pdf: bytes) -> None:
    pages = pdf_pages(empty_pdf)
    assert len(pages) == 1
    assert "page 1 of 1" in pages[0]
    assert "The patient was not found" in pages[0]
    rows = list(csv.reader(io.StringIO(render_csv(empty_report))))
    assert len(rows) == 1, "only the header"


def test_a_run_of_another_case_is_refused(report_data: ReportData) -> None:
    trace = report_data.trace.model_copy(update={"case_id": "case-other"})
    with pytest.raises(InputError, match="of case case-other, not of case case-2026-0412"):
        render_html(replace(report_data, trace=trace))
    with pytest.raises(InputError, match="policy"):
        render_csv(
            replace(report_data, trace=report_data.trace.model_copy(update={"policy": "who-2020"}))
        )


def test_missing_or_foreign_evidence_image_is_an_error(
    report_data: ReportData, tmp_path: Path
) -> None:
    gone = replace(report_data, evidence=(EvidenceThumb("stay 1", tmp_path / "gone.jpg"),))
    with pytest.raises(InputError, match=r"gone\.jpg cannot be read"):
        render_html(gone)
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not an image")
    foreign = replace(report_data, evidence=(EvidenceThumb("stay 1", text_file),))
    with pytest.raises(InputError, match="neither JPEG nor PNG"):
        render_html(foreign)
