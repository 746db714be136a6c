"""The demo end to end: rendered town, real models, consented case, trace, report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    home = tmp_path_factory.mktemp("demo") / "home"
    result = subprocess.run(
        [sys.executable, "-m", "cctrace", "demo", "--home", str(home), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout)
    return home, out


def test_demo_finds_the_route_and_the_friend(demo: tuple[Path, dict[str, object]]) -> None:
    _, out = demo
    assert out["cameras_found"] == ["cam-a", "cam-b", "cam-c"] == out["cameras_true"]
    assert isinstance(out["route_recall"], float) and out["route_recall"] >= 0.8
    assert isinstance(out["route_precision"], float) and out["route_precision"] >= 0.8
    assert isinstance(out["contacts_found"], int) and out["contacts_found"] >= 2


def test_demo_report_is_offline_and_shows_no_face(demo: tuple[Path, dict[str, object]]) -> None:
    _, out = demo
    page = Path(str(out["report_html"])).read_text()
    assert "cam-b" in page and "<svg" in page
    assert "<img" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_demo_writes_the_pdf_report(demo: tuple[Path, dict[str, object]]) -> None:
    from pypdf import PdfReader

    _, out = demo
    pdf = Path(str(out["report_pdf"]))
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    for camera in out["cameras_found"]:  # type: ignore[attr-defined]
        assert camera in text
    assert "page 1 of" in text


def test_demo_never_touches_an_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "cctrace.db").write_text("somebody's data")
    result = subprocess.run(
        [sys.executable, "-m", "cctrace", "demo", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert (tmp_path / "cctrace.db").read_text() == "somebody's data"


def test_demo_a_supervisor_approves_the_case_before_the_trace(
    demo: tuple[Path, dict[str, object]],
) -> None:
    """Issue 16: the demo's case is traced only after another person approved it."""
    import sqlite3

    home, _ = demo
    with sqlite3.connect(home / "cctrace.db") as conn:
        rows = list(
            conn.execute(
                "SELECT actor, role, action, outcome FROM audit WHERE case_id IS NOT NULL "
                "AND outcome NOT LIKE 'allowed%' ORDER BY seq"
            )
        )
        consent_forms = list(conn.execute("SELECT diagnosis_ref, status FROM cases"))
    events = [(r[0], r[2], r[3]) for r in rows]
    approved = events.index(("demo-supervisor", "approve_case", "approved"))
    traced = next(i for i, e in enumerate(events) if e[1] == "trace" and e[2] == "done")
    opened = next(i for i, e in enumerate(events) if e[1] == "open_case")
    assert opened < approved < traced
    assert events[opened][0] == "demo-investigator"
    assert consent_forms == [("DEMO-LAB-0001", "approved")]
