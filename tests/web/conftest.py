"""The browser suite's fixtures: a real server, one Chromium, and a guarded page per test.

- ``site`` (session): a data folder with a user of each role (cheap argon2 parameters, as
  in `tests.security.conftest`), the demo town's calibrated café camera and five seconds of
  its footage (rendered as in `tests.api.test_flow`), uploaded and indexed by a real job
  through the HTTP API, all served by `create_app` on uvicorn on a free loopback port in a
  background thread: what `cctrace serve` runs, with the daily purge off. Every browser
  test shares it (the vision models run once, on five seconds).
- ``browser`` (session): Debian's ``chromium-headless-shell`` driven by Playwright, never
  ``playwright install`` (it downloads browsers); `.ci/run` installs the package.
- ``web`` (per test): a fresh browser context (its own cookies) on the server that blocks
  and records every request to another origin and fails the test for it at teardown, fails
  it on an uncaught script error or a Content-Security-Policy refusal, and writes a
  screenshot of each page the test visits (and of the last page, failed or not) into the
  artefact folder: ``$CCTRACE_TEST_ARTEFACTS``, else ``web-artefacts`` under pytest's base
  temporary folder; the folder is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import cv2
import httpx
import numpy as np
import pytest
import uvicorn
from matplotlib.figure import Figure
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    Request,
    Response,
    Route,
    WebSocket,
    sync_playwright,
)

from cctrace.api.app import create_app
from cctrace.api.settings import ApiSettings, BadTokenSlowdown
from cctrace.store.home import init_home
from tests.cafe import CAMERA, cafe_camera_body, cafe_clip
from tests.security.conftest import cheap_argon2

CHROMIUM = Path(os.environ.get("CCTRACE_CHROMIUM", "/usr/lib/chromium/chromium-headless-shell"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
"""Every page action's and expectation's default wait; long work waits longer, explicitly."""
JOB_DEADLINE_S = 240.0
ADMIN_CLIP_S = 2.0
"""The admin journey uploads the first seconds of the same footage, dated a day earlier:
outside the investigator's case window, so it cannot change the trace."""

USERS = {"investigator": "dr-web", "supervisor": "lead-web", "auditor": "aud-web"}
LANDING = {
    "admin": "/admin/cameras",
    "investigator": "/cases",
    "supervisor": "/review",
    "auditor": "/audit/log",
}
"""Where each role lands after signing in."""

ARTEFACTS_KEY = pytest.StashKey[Path]()
REPORT_KEY = pytest.StashKey[pytest.TestReport]()


@dataclass(frozen=True)
class Site:
    """The served data folder: its address, a token per role, the files a person uploads."""

    base_url: str
    home: Path
    tokens: dict[str, str]
    start: datetime
    """UTC time of the café footage's first frame; its day is the case window."""
    admin_clip: Path
    """Two seconds of the café footage, recorded (its tag says) a day earlier."""
    photo: Path
    """The astronaut, our patient, as JPEG."""
    consent: Path
    """A one-page signed consent form, PDF."""

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def day(self) -> str:
        return self.start.date().isoformat()


@dataclass(frozen=True)
class Footage:
    cafe: Path
    admin_clip: Path
    start: datetime


def _render(folder: Path) -> Footage:
    """The café camera's clip (tagged with its start), and its first `ADMIN_CLIP_S` seconds
    tagged a day earlier."""
    clip = cafe_clip()
    out = Footage(folder / "cafe.mp4", folder / "cafe-day-before.mp4", clip.start_utc)
    clip.write(out.cafe, tag=clip.start_utc)
    clip.write(out.admin_clip, ADMIN_CLIP_S, tag=clip.start_utc - timedelta(days=1))
    return out


def _consent_pdf(path: Path) -> Path:
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.1, 0.9, "Consent to contact tracing through CCTV footage", fontsize=14)
    fig.text(0.1, 0.85, "Signed: the patient", fontsize=11)
    fig.savefig(path, format="pdf")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class _Served:
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive(), "the server did not stop within 60 s"


def _serve(home: Path) -> _Served:
    """`cctrace serve --home HOME` in this process: uvicorn in a thread, on a free port."""
    settings = ApiSettings(
        workers=1, daily_purge=False, slowdown=BadTokenSlowdown(free_attempts=10_000)
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(home, settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="cctrace-web-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting (see the log above)"
        assert time.monotonic() < deadline, "the server did not start within 60 s"
        time.sleep(0.05)
    return _Served(server, thread, f"http://127.0.0.1:{port}")


def _poll_job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    end = time.monotonic() + JOB_DEADLINE_S
    while True:
        r = client.get(f"/api/v1/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["state"] in ("done", "failed"):
            return job
        assert time.monotonic() < end, f"job {job_id} still {job['state']}"
        time.sleep(0.25)


def _populate(base_url: str, admin: str, footage: Footage) -> dict[str, str]:
    """Users of each role, the calibrated café camera, its footage indexed; the tokens."""
    tokens = {"admin": admin}
    headers = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for role, name in USERS.items():
            r = client.post("/api/v1/users", json={"name": name, "role": role})
            assert r.status_code == 201, r.text
            tokens[role] = r.json()["token"]
        body = cafe_camera_body()
        r = client.post("/api/v1/cameras", json=body)
        assert r.status_code == 201, r.text
        r = client.post(
            "/api/v1/footage",
            data={"camera_id": CAMERA, "start": footage.start.isoformat()},
            files={"file": ("cafe.mp4", footage.cafe.read_bytes(), "video/mp4")},
        )
        assert r.status_code == 202, r.text
        job = _poll_job(client, r.json()["job_id"])
        assert job["state"] == "done", job
        (video,) = job["result"]["videos"]
        assert video["sightings_added"] > 0, job
        r = client.post(
            "/api/v1/site-plans",
            data={"site": "market", **PLAN_SCALE},
            files={"site_plan": ("market-plan.png", site_plan_png(), "image/png")},
        )
        assert r.status_code == 201, r.text
    return tokens


PLAN_SIZE_PX = (1200, 800)
PLAN_SCALE = {"metres_per_px": "0.1", "origin_x_px": "100", "origin_y_px": "700"}
"""The market's plan: 120 m by 80 m; the café camera (60, 0 m) at pixel (700, 700)."""


def site_plan_png() -> bytes:
    """A drawn floor plan of the market square: outer walls, stalls, the café's counter."""
    width, height = PLAN_SIZE_PX
    img = np.full((height, width, 3), 250, np.uint8)
    cv2.rectangle(img, (20, 20), (width - 20, height - 20), (60, 60, 60), 6)
    for i in range(5):
        x = 180 + 170 * i
        cv2.rectangle(img, (x, 160), (x + 110, 300), (150, 120, 90), -1)
    cv2.rectangle(img, (620, 600), (900, 660), (90, 90, 140), -1)
    cv2.putText(img, "Market square", (60, 90), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (40, 40, 40), 2)
    ok, data = cv2.imencode(".png", img)
    assert ok
    return data.tobytes()


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, astronaut_bgr: np.ndarray[Any, np.dtype[np.uint8]]
) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web")
    footage = _render(root / "footage")
    photo = root / "upload" / "patient-astronaut.jpg"
    photo.parent.mkdir()
    assert cv2.imwrite(str(photo), astronaut_bgr)
    consent = _consent_pdf(root / "upload" / "consent-form.pdf")
    with cheap_argon2():
        admin = init_home(root / "home", env={}).admin_token
        assert admin is not None
        served = _serve(root / "home")
        try:
            tokens = _populate(served.base_url, admin, footage)
        except BaseException:
            served.stop()
            raise
    try:
        home, clip = root / "home", footage.admin_clip
        yield Site(served.base_url, home, tokens, footage.start, clip, photo, consent)
    finally:
        served.stop()


@pytest.fixture(scope="session")
def artefacts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots and downloads go (printed at the end of the run)."""
    chosen = os.environ.get("CCTRACE_TEST_ARTEFACTS")
    folder = Path(chosen).resolve() if chosen else tmp_path_factory.getbasetemp() / "web-artefacts"
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash[ARTEFACTS_KEY] = folder
    return folder


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    folder = config.stash.get(ARTEFACTS_KEY, None)
    if folder is not None:
        terminalreporter.write_line(f"browser screenshots and downloads: {folder}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps the call's report on the item, so that `web` knows at teardown if it failed."""
    report = yield
    if report.when == "call":
        item.stash[REPORT_KEY] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium-headless-shell` "
            "(Debian's package; .ci/run installs it). Never `playwright install`."
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Web:
    """One test's page on the server, signed in as nobody until `login`."""

    page: Page
    site: Site
    folder: Path
    name: str
    shots: list[Path] = field(default_factory=list)

    def testid(self, name: str) -> Locator:
        return self.page.get_by_test_id(name)

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    def shot(self, label: str) -> Path:
        """A full-page screenshot of what the page shows now."""
        safe = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-") or "page"
        out = self.folder / f"{self.name}-{len(self.shots) + 1:02d}-{safe}.png"
        self.page.screenshot(path=out, full_page=True)
        self.shots.append(out)
        return out

    def goto(self, path: str) -> Response:
        """Open ``path`` of the server as a person typing it would; screenshot it."""
        response = self.page.goto(path)
        assert response is not None, path
        self.shot(path.strip("/") or "root")
        return response

    def wait_for_path(self, path: str | re.Pattern[str], timeout_ms: float = TIMEOUT_MS) -> None:
        def matches(url: str) -> bool:
            here = urlsplit(url).path
            return here == path if isinstance(path, str) else path.fullmatch(here) is not None

        self.page.wait_for_url(matches, timeout=timeout_ms)

    def login(self, role: str) -> None:
        """Sign in with the role's token through the login form; lands where it should."""
        self.goto("/")
        self.testid("login-token").fill(self.site.tokens[role])
        self.testid("login-submit").click()
        self.wait_for_path(LANDING[role])
        self.shot(f"{role}-landing")

    def download(self, testid: str) -> bytes:
        """Click ``testid``, expect a download; its bytes (also kept with the screenshots)."""
        with self.page.expect_download() as info:
            self.testid(testid).click()
        download = info.value
        assert download.failure() is None, download.failure()
        kept = self.folder / f"{self.name}-{download.suggested_filename}"
        download.save_as(kept)
        return kept.read_bytes()


@dataclass
class _Guard:
    """What a page did that fails its test: another origin asked for, a script error."""

    netloc: str
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def is_foreign(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.netloc

    def on_request(self, request: Request) -> None:
        if self.is_foreign(request.url):
            self.foreign.append(f"{request.method} {request.url}")

    def on_websocket(self, ws: WebSocket) -> None:
        if self.is_foreign(ws.url):
            self.foreign.append(f"websocket {ws.url}")

    def route(self, route: Route) -> None:
        if self.is_foreign(route.request.url):
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text} ({message.location.get('url')})")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.message}")

    def watch(self, page: Page) -> None:
        page.on("websocket", self.on_websocket)
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)


def _new_context(browser: Browser, site: Site, guard: _Guard) -> BrowserContext:
    context = browser.new_context(
        base_url=site.base_url, accept_downloads=True, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", guard.route)
    context.on("request", guard.on_request)
    on_page: Callable[[Page], None] = guard.watch
    context.on("page", on_page)
    return context


@pytest.fixture
def web(
    request: pytest.FixtureRequest, browser: Browser, site: Site, artefacts: Path
) -> Iterator[Web]:
    guard = _Guard(site.netloc)
    context = _new_context(browser, site, guard)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")
    web = Web(page, site, artefacts, name)
    try:
        yield web
    finally:
        report = request.node.stash.get(REPORT_KEY, None)
        failed = report is not None and report.failed
        try:
            if page.url != "about:blank":
                web.shot("failed" if failed else "last")
        finally:
            context.close()
    assert not guard.foreign, f"requests to another origin: {guard.foreign}"
    assert not guard.errors, f"the page reported errors: {guard.errors}"
