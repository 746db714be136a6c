"""Render a case report: HTML (one self-contained file), PDF (the same HTML through
WeasyPrint) and CSV (the route or the contacts table).

The HTML holds its CSS, its SVGs and its images (data: URIs): nothing is fetched, so it
opens offline and the PDF renderer is allowed no URL but data: ones.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

import jinja2
import weasyprint  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from cctrace.core.errors import InputError
from cctrace.report.model import ReportData
from cctrace.report.rows import CONTACT_HEADER, ROUTE_HEADER, contact_rows, route_rows
from cctrace.report.view import build_view, check_report

CsvTable = Literal["contacts", "route"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _keep_utc(when: str) -> str:
    """A time that may wrap after its date but never before its "UTC"."""
    return when.replace(" UTC", "\u00a0UTC")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cctrace.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["keep_utc"] = _keep_utc
    return env


def render_html(data: ReportData) -> str:
    """The report as one HTML page with everything inline (CSS, SVG, images)."""
    view = build_view(data)
    html: str = _environment().get_template("report.html.j2").render(view=view)
    return html


def render_pdf(data: ReportData) -> bytes:
    """The report as a PDF (A4): the HTML of `render_html`, paged, with a footer on every
    page giving the case, the report, the audit entry and "page X of Y"."""
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    document = weasyprint.HTML(string=render_html(data), url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    return pdf


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (ids and sites come from users)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(data: ReportData, table: CsvTable = "contacts") -> str:
    """One table as CSV text (one header row, then one row per contact or per stay).

    ``contacts`` are sorted by risk then exposure; ``route`` is in time order. Every
    cell is in words, as in the PDF ("yes", "no", "unknown", "—" for missing).
    """
    check_report(data)
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    if table == "contacts":
        header = CONTACT_HEADER
        rows = [r.cells() for r in contact_rows(data.trace)]
    elif table == "route":
        header = ROUTE_HEADER
        rows = [r.cells() for r in route_rows(data.trace, data.cameras)]
    else:
        raise InputError(f"unknown report table {table!r}; choose contacts or route")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(c) for c in row] for row in rows)
    return out.getvalue()
