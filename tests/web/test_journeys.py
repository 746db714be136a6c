"""Issue 13's journeys in a real browser, one per role, on real footage (the demo town's café
camera, indexed once by the `site` fixture): a person with a token and a browser does the
whole flow with no shell.

Written from the issue's contract (its ``data-testid`` names, URLs and landing pages), not
from the pages: a page that strays from it fails here. Every test also fails on a request
to another origin, a script error or a CSP refusal (see `tests.web.conftest`).
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Locator, expect

from tests.cases import DIAGNOSIS_REF, approve
from tests.web.conftest import JOB_DEADLINE_S, LANDING, Web

pytestmark = pytest.mark.browser

TRACE_TIMEOUT_MS = 120_000
CASE_PAGE = re.compile(r"/cases/(?!new$)[^/]+")
POLICY = "kdca-2022"


def fill_date(field: Locator, day: str) -> None:
    """An ISO date into a date field (the issue: date inputs accept ``2026-03-01``); a
    ``datetime-local`` field gets the day's midnight."""
    if field.get_attribute("type") == "datetime-local":
        day = f"{day}T00:00"
    field.fill(day)


def choose(field: Locator, value: str) -> None:
    """``value`` in a select (by option value) or typed into a text field."""
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def fill_case_form(
    web: Web, *, consent: bytes | None, label: str, photo: Path | None = None
) -> None:
    """The new-case form for the astronaut (or ``photo``), consent and window on the
    footage's day (the page's "until" date is included); ``consent`` None leaves the
    consent file out."""
    day = web.site.day
    web.testid("case-photo").set_input_files(photo or web.site.photo)
    if consent is not None:
        web.testid("case-consent").set_input_files(
            {"name": "consent-form.pdf", "mimeType": "application/pdf", "buffer": consent}
        )
    web.testid("case-consent-given-by").fill(f"the patient ({label})")
    web.testid("case-diagnosis-ref").fill(DIAGNOSIS_REF)
    fill_date(web.testid("case-consent-date"), day)
    fill_date(web.testid("case-from"), day)
    fill_date(web.testid("case-to"), day)


def test_admin_adds_a_camera_and_uploads_footage(web: Web) -> None:
    web.login("admin")
    page = web.page
    rows = web.testid("camera-row")
    expect(rows.filter(has_text="cam-b")).to_have_count(1)  # the fixture's camera
    # Add a camera; every field has a label (the issue), so find them by it.
    page.get_by_label(re.compile(r"^(camera )?id", re.I)).fill("cam-web")
    page.get_by_label(re.compile(r"^name", re.I)).fill("Station entrance")
    page.get_by_label(re.compile(r"^site", re.I)).fill("station")
    page.get_by_role("button", name=re.compile(r"add", re.I)).first.click()
    expect(rows.filter(has_text="cam-web")).to_have_count(1)
    web.shot("camera-added")

    web.goto("/admin/footage")
    web.testid("footage-file").set_input_files(web.site.admin_clip)
    choose(web.testid("footage-camera"), "cam-web")
    web.shot("footage-form")
    web.testid("footage-submit").click()
    progress = web.testid("job-progress")
    expect(progress).to_be_visible()
    web.shot("job-started")
    # "done" by a data-state/data-status attribute, the text, or a full <progress>.
    done = """e => {
        const state = (e.dataset.state || e.dataset.status || e.textContent || "").toLowerCase();
        if (/fail/.test(state)) return "failed";
        const bar = e.tagName === "PROGRESS" ? e : e.querySelector("progress");
        const full = bar !== null && bar.max > 0 && bar.value >= bar.max;
        return /\\bdone\\b/.test(state) || full ? "done" : "";
    }"""
    handle = page.wait_for_function(
        f"() => {{ const e = document.querySelector('[data-testid=job-progress]');"
        f" return e && ({done})(e); }}",
        timeout=JOB_DEADLINE_S * 1000,
        polling=500,
    )
    web.shot("job-done")
    assert handle.json_value() == "done", progress.inner_text()
    # The upload's "Uploading the file…" line is gone once the upload is.
    expect(page.locator("#footage-busy")).to_be_hidden()


def test_investigator_opens_a_case_traces_and_downloads_the_report(web: Web) -> None:
    web.login("investigator")
    page = web.page
    web.testid("new-case").click()
    web.wait_for_path("/cases/new")
    web.shot("new-case")
    fill_case_form(web, consent=web.site.consent.read_bytes(), label="journey")
    web.shot("new-case-filled")
    web.testid("case-submit").click()
    web.wait_for_path(CASE_PAGE)
    case_path = web.path
    web.shot("case-opened")
    # A supervisor approves the case (issue 16) before anyone may trace it.
    expect(web.testid("case-pending")).to_be_visible()
    approve(web.site.home, case_path.rsplit("/", 1)[-1])
    web.goto(case_path)

    web.testid("trace-policy").select_option(POLICY)
    web.testid("trace-button").click()
    stays, error = web.testid("route-stay"), web.testid("form-error")
    expect(stays.first.or_(error)).to_be_visible(timeout=TRACE_TIMEOUT_MS)
    assert error.count() == 0, error.all_inner_texts()
    assert stays.count() >= 1
    site_map = web.testid("site-map")
    expect(site_map).to_be_visible()
    box = site_map.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150, box
    # Leaflet drew the map and at least one stop on it.
    leaflet = page.locator(
        "[data-testid=site-map].leaflet-container, [data-testid=site-map] .leaflet-container"
    )
    expect(leaflet).to_have_count(1)
    stops = site_map.locator(".leaflet-marker-icon, .leaflet-interactive")
    expect(stops.first).to_be_visible()
    expect(web.testid("contact-row").first).to_be_visible()
    web.shot("traced")

    pdf = web.download("report-pdf")
    assert pdf.startswith(b"%PDF"), pdf[:20]
    csv = web.download("report-csv")
    assert b"," in csv.splitlines()[0], csv[:200]

    web.testid("nav-cases").click()
    web.wait_for_path("/cases")
    case_id = case_path.rsplit("/", 1)[-1]
    rows = web.testid("case-row")
    linked = rows.filter(has=page.locator(f'a[href$="{case_path}"]'))
    expect(linked.or_(rows.filter(has_text=case_id))).to_have_count(1)
    web.shot("my-cases")

    # A tablet's width: the case page fits, nothing scrolls sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    web.goto(case_path)
    expect(web.testid("route-stay").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the case page is {overflow} px too wide for a tablet"


@pytest.mark.parametrize("wrong", ["no-consent-file", "empty-consent-file", "photo-without-a-face"])
def test_a_refused_case_form_says_why_and_creates_nothing(
    web: Web, wrong: str, tmp_path: Path
) -> None:
    web.login("investigator")
    before = web.testid("case-row").count()
    web.goto("/cases/new")
    consent = {"no-consent-file": None, "empty-consent-file": b""}.get(
        wrong, web.site.consent.read_bytes()
    )
    photo = None
    if wrong == "photo-without-a-face":
        photo = tmp_path / "wall.jpg"
        assert cv2.imwrite(str(photo), np.full((480, 640, 3), 120, np.uint8))
    fill_case_form(web, consent=consent, label="refused", photo=photo)
    field = web.testid("case-consent")
    if consent is None and field.get_attribute("required") is not None:
        # The browser refuses first; the server must refuse too, without the attribute.
        web.testid("case-submit").click()
        assert web.path == "/cases/new"
        assert field.evaluate("e => e.validity.valueMissing") is True
        field.evaluate("e => e.removeAttribute('required')")
    web.testid("case-submit").click()
    error = web.testid("form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("face" if photo else "consent", re.I))
    # Said for a person at a browser, not for the command line.
    expect(error).not_to_contain_text(re.compile(r"--[a-z]"))
    web.shot("refused")
    web.goto("/cases")
    expect(web.testid("case-row")).to_have_count(before)


def test_auditor_verifies_the_audit_log(web: Web) -> None:
    web.login("auditor")
    expect(web.testid("audit-row").first).to_be_visible()
    web.testid("audit-verify").click()
    result = web.testid("audit-verify-result")
    expect(result).to_have_attribute("data-ok", "true")
    web.shot("verified")
    # The auditor sees the log, never a face or footage.
    expect(web.page.locator("img, video")).to_have_count(0)


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("investigator", "/admin/users"),
        ("investigator", "/admin/cameras"),
        ("investigator", "/audit/log"),
        ("admin", "/cases"),
        ("admin", "/audit/log"),
        ("auditor", "/cases/new"),
        ("auditor", "/admin/users"),
    ],
)
def test_a_role_typing_another_roles_url_gets_a_403_page(web: Web, role: str, path: str) -> None:
    web.login(role)
    response = web.goto(path)
    assert response.status == 403, (path, response.status)
    assert response.headers["content-type"].startswith("text/html")
    expect(web.page.locator("body")).to_contain_text(re.compile(r"403|forbidden|not allowed", re.I))
    assert web.goto(LANDING[role]).status == 200  # still signed in: refused, not signed out


def test_logout_ends_the_session(web: Web) -> None:
    web.login("investigator")
    cookies = web.page.context.cookies()
    session = [c for c in cookies if c.get("httpOnly")]
    assert session, f"no HttpOnly session cookie: {cookies}"
    assert all(c.get("sameSite") == "Strict" for c in session), session
    web.testid("logout").click()
    expect(web.testid("login-token")).to_be_visible()
    web.shot("signed-out")
    web.goto("/cases")
    expect(web.testid("login-token")).to_be_visible()
    # The old cookie is dead on the server too, not just forgotten by the browser.
    web.page.context.add_cookies(session)  # type: ignore[arg-type]
    web.goto("/cases")
    expect(web.testid("login-token")).to_be_visible()
    expect(web.testid("case-row")).to_have_count(0)


def test_signed_out_a_page_leads_to_the_login(web: Web) -> None:
    web.goto("/cases")
    expect(web.testid("login-token")).to_be_visible()


def test_a_bad_token_is_refused_with_a_message(web: Web) -> None:
    web.goto("/")
    web.testid("login-token").fill("not-a-token")
    web.testid("login-submit").click()
    expect(web.testid("form-error")).to_be_visible()
    expect(web.testid("login-token")).to_be_visible()
    web.shot("bad-token")


def test_the_login_form_works_with_the_keyboard(web: Web) -> None:
    web.goto("/")
    page = web.page
    token = web.testid("login-token")
    for _ in range(20):
        page.keyboard.press("Tab")
        if token.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the token field")
    page.keyboard.type(web.site.tokens["investigator"])
    submit = web.testid("login-submit")
    for _ in range(5):
        page.keyboard.press("Tab")
        if submit.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("Tab from the token field never reached the sign-in button")
    page.keyboard.press("Enter")
    web.wait_for_path(LANDING["investigator"])
    web.shot("signed-in-by-keyboard")
    # And Enter in the token field submits too.
    web.testid("logout").click()
    expect(token).to_be_visible()
    token.focus()
    page.keyboard.type(web.site.tokens["investigator"])
    page.keyboard.press("Enter")
    web.wait_for_path(LANDING["investigator"])
