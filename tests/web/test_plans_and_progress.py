"""Issue 13's remaining journeys in a real browser: an admin's site plan and recalibration,
an investigator's trace as a job with its progress, the route drawn over the site's plan,
the contacts sorted by a column, an unblur refused without a reason, and the close
confirmation; every form field on these pages has a label.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.cafe import cafe_camera_body
from tests.cases import approve
from tests.web.conftest import PLAN_SCALE, PLAN_SIZE_PX, Web, site_plan_png
from tests.web.test_journeys import CASE_PAGE, TRACE_TIMEOUT_MS, fill_case_form

pytestmark = pytest.mark.browser

UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(e => e.type !== "hidden" && e.type !== "submit")
    .filter(e => e.labels.length === 0 && !e.getAttribute("aria-label")
                 && !e.getAttribute("aria-labelledby"))
    .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""


def unlabelled(page: Page) -> list[str]:
    """The form fields of the page that no label names (the issue: labels on every field)."""
    found: list[str] = page.evaluate(UNLABELLED)
    return found


def test_admin_uploads_a_site_plan_and_recalibrates_a_camera(web: Web) -> None:
    web.login("admin")
    page = web.page
    web.testid("nav-sites").click()
    web.wait_for_path("/admin/sites")
    expect(web.testid("site-row").filter(has_text="market")).to_have_count(1)
    assert unlabelled(page) == []
    # A text file named like an image: refused, naming the file; nothing stored.
    web.testid("site-plan-file").set_input_files(
        {"name": "market-notes.png", "mimeType": "image/png", "buffer": b"stall rents 2026"}
    )
    page.get_by_label("Metres per pixel").fill("0.1")
    web.testid("site-plan-submit").click()
    expect(web.testid("form-error")).to_contain_text("market-notes.png is not a PNG or JPEG")
    web.shot("site-plan-refused")

    web.testid("site-plan-file").set_input_files(
        {"name": "market-plan.png", "mimeType": "image/png", "buffer": site_plan_png()}
    )
    page.get_by_label("Metres per pixel").fill(PLAN_SCALE["metres_per_px"])
    page.get_by_label(re.compile("^Column")).fill(PLAN_SCALE["origin_x_px"])
    page.get_by_label(re.compile("^Row")).fill(PLAN_SCALE["origin_y_px"])
    web.testid("site-plan-submit").click()
    width, height = PLAN_SIZE_PX
    expect(web.testid("site-plan-stored")).to_contain_text(f"{width} × {height} pixels")
    expect(web.testid("site-plan-scale")).to_contain_text("0.100 m a pixel")
    web.shot("site-plan-stored")

    # Recalibrate the café camera from its row (the same points: the trace is unchanged).
    web.testid("nav-cameras").click()
    web.wait_for_path("/admin/cameras")
    row = web.testid("camera-row").filter(has_text="cam-b")
    row.get_by_test_id("camera-recalibrate").click()
    calibration = json.dumps(cafe_camera_body()["calibration"]).encode()
    row.get_by_label(re.compile("^Calibration file")).set_input_files(
        {"name": "cam-b-calibration.json", "mimeType": "application/json", "buffer": calibration}
    )
    web.shot("recalibrate-form")
    row.get_by_test_id("camera-calibration-submit").click()
    notice = web.testid("camera-recalibrated")
    expect(notice).to_contain_text(re.compile(r"reprojection error is \d+\.\d{3} m"))
    assert unlabelled(page) == []
    web.shot("camera-recalibrated")

    # A tablet's width: the admin pages fit, nothing scrolls sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    for path in ("/admin/cameras", "/admin/sites"):
        web.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px too wide for a tablet"


def test_a_trace_shows_its_progress_then_the_route_over_the_site_plan(web: Web) -> None:
    web.login("investigator")
    page = web.page
    web.testid("new-case").click()
    web.wait_for_path("/cases/new")
    fill_case_form(web, consent=web.site.consent.read_bytes(), label="progress")
    web.testid("case-submit").click()
    web.wait_for_path(CASE_PAGE)
    case_path = web.path
    approve(web.site.home, case_path.rsplit("/", 1)[-1])  # the supervisor's four eyes
    web.goto(case_path)
    assert unlabelled(page) == []

    web.testid("trace-policy").select_option("who-2020")
    web.testid("trace-button").click()
    progress = web.testid("job-progress")
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("Tracing the patient")
    web.shot("trace-progress")
    expect(progress).to_have_attribute("data-state", "done", timeout=TRACE_TIMEOUT_MS)
    expect(progress.locator("progress")).to_have_attribute("value", "100")
    expect(web.testid("trace-summary")).to_contain_text("policy who-2020")
    expect(web.testid("route-stay").first).to_be_visible()
    # The route's map over the market's plan, loaded from this server.
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=site-map] img.site-plan-image');"
        f" return i !== null && i.complete && i.naturalWidth === {PLAN_SIZE_PX[0]}; }}",
        timeout=10_000,
    )
    web.shot("traced-over-site-plan")

    # Contacts sorted by exposure, longest first, then back.
    rows = web.testid("contact-row")
    expect(rows.first).to_be_visible()
    exposure = page.get_by_role("button", name="Exposure")
    exposure.focus()  # by the keyboard: a column heading is a button
    page.keyboard.press("Enter")
    header = page.locator("th", has=exposure)
    expect(header).to_have_attribute("aria-sort", "descending")
    shown = [float(v or 0) for v in rows.evaluate_all("rs => rs.map(r => r.dataset.exposure)")]
    assert shown == sorted(shown, reverse=True), shown
    exposure.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    shown = [float(v or 0) for v in rows.evaluate_all("rs => rs.map(r => r.dataset.exposure)")]
    assert shown == sorted(shown), shown

    # Unblurring a contact without a reason is refused, with the reason why.
    page.locator("details.unblur summary").click()
    web.testid("unblur-submit").click()
    expect(web.testid("form-error")).to_contain_text("needs a reason")
    web.shot("unblur-refused")

    # Closing asks first, saying what is destroyed.
    web.testid("close-case").click()
    expect(page.locator("main")).to_contain_text("reference face data")
    web.shot("close-confirmation")


PAGES = {
    "investigator": ("/cases", "/cases/new"),
    "admin": (
        "/admin/cameras",
        "/admin/sites",
        "/admin/footage",
        "/admin/users",
        "/admin/retention",
    ),
    "auditor": ("/audit/log",),
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_field_of_every_page_has_a_label(web: Web, role: str) -> None:
    web.login(role)
    for path in PAGES[role]:
        web.goto(path)
        assert unlabelled(web.page) == [], path
