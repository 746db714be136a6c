"""The web page's fast tests: TestClient over `create_app` (the page mounted at ``/``), no
browser. The data folder is the security suite's (a user of every role, camera ``lobby``)
plus two cameras, a case of the investigator's opened through the service with the
astronaut's photo, and a saved trace run of it (a synthetic result: the route and
contacts the page shows do not need footage), and a second case of the same
investigator for tests that change a case (close it, trace it again).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from cctrace.config import get_policy
from cctrace.services.auth import Context, Principal
from cctrace.services.cases import open_case
from cctrace.services.traces import save_run
from cctrace.store.camera_import import camera_record
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.trace.engine import TraceSettings
from cctrace.trace.types import Contact, Encounter, Stay, TraceResult
from tests.api.conftest import make_app
from tests.cases import DIAGNOSIS_REF, approve, write_consent
from tests.security.conftest import SecEnv, cheap_argon2, make_env

HTML = {"accept": "text/html"}
DAY = "2026-11-20"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC).timestamp()
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def synthetic_result(case_id: str) -> TraceResult:
    """Three stays (lobby, café, lobby again) and two contacts, one approximate."""
    return TraceResult(
        case_id=case_id,
        policy="kdca-2022",
        elapsed_s=0.42,
        route=(
            Stay("lobby", "clinic", T0, T0 + 120, 0.93, 0.0, "face", ("s1",)),
            Stay("cafe", "clinic", T0 + 300, T0 + 1260, 0.81, float("nan"), "track", ("s2",)),
            Stay("lobby", "clinic", T0 + 1500, T0 + 1560, 0.77, 0.5, "appearance", ("s3",)),
        ),
        contacts=(
            Contact(
                "contact-1",
                "low",
                95.0,
                1.9,
                True,
                None,
                False,
                (Encounter("lobby", T0 + 10, T0 + 110, 95.0, 1.9),),
                ("s4",),
            ),
            Contact(
                "contact-2",
                "high",
                1000.0,
                0.8,
                False,
                False,
                True,
                (Encounter("cafe", T0 + 300, T0 + 1260, 1000.0, 0.8),),
                ("s5",),
            ),
        ),
        face_threshold=0.5,
        faces_searched=12,
    )


@dataclass(frozen=True)
class WebSite:
    """The served data folder and the ids made in it."""

    app: Any
    env: SecEnv
    case_id: str
    trace_id: str
    other_case_id: str
    astronaut_jpeg: Path
    consent: Path

    def client(self) -> TestClient:
        """A new browser: its own cookies, no session."""
        return TestClient(self.app, headers=HTML)

    def store(self) -> Store:
        return Store.open(Home.at(self.env.home, env={}))


def sign_in(client: TestClient, token: str) -> str:
    """Sign in through the form; the session's CSRF token (read off the landing page)."""
    page = client.get("/")
    login_csrf = CSRF_RE.search(page.text)
    assert login_csrf is not None, page.text
    r = client.post("/", data={"token": token, "csrf_token": login_csrf.group(1), "next": ""})
    assert r.status_code == 200, (r.status_code, r.text[:500])
    found = CSRF_RE.search(r.text)
    assert found is not None, r.text[:2000]
    return found.group(1)


def _open_case(store: Store, user_name: str, photo: Path, consent: Path, label: str) -> str:
    user = next(u for u in store.list_users() if u.name == user_name)
    ctx = Context(store, Principal(user, "web"))
    return open_case(
        ctx,
        [photo],
        consent,
        "the patient",
        DAY,
        f"{DAY}T00:00:00Z",
        f"{DAY}T23:59:00Z",
        label,
        photo_names=["patient.jpg"],
        diagnosis_ref=DIAGNOSIS_REF,
    ).case_id


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    astronaut_bgr: np.ndarray[Any, np.dtype[np.uint8]],
) -> Iterator[WebSite]:
    root = tmp_path_factory.mktemp("web-unit")
    with cheap_argon2():
        env = make_env(root)
    (env.home / "uploads" / "requests").mkdir(parents=True, mode=0o700)
    photo = root / "patient.jpg"
    assert cv2.imwrite(str(photo), astronaut_bgr)
    consent = write_consent(root / "consent.pdf")
    with Store.open(Home.at(env.home, env={})) as store:
        store.add_camera(camera_record("cafe", "Clinic café", site="clinic", x_m=30.0, y_m=12.0))
        store.add_camera(camera_record("gate", "North gate", lat=48.1, lon=11.5))
        case_id = _open_case(store, "dr-kim", photo, consent, "ward 3")
        other = _open_case(store, "dr-kim", photo, consent, "to be closed")
        for approved in (case_id, other):
            approve(store, approved)  # a supervisor's four eyes (issue 16)
        user = next(u for u in store.list_users() if u.name == "dr-kim")
        ctx = Context(store, Principal(user, "web"))
        run = save_run(ctx, synthetic_result(case_id), get_policy("kdca-2022"), TraceSettings())
        save_run(ctx, synthetic_result(other), get_policy("kdca-2022"), TraceSettings())
    app = make_app(env.home)
    with TestClient(app):  # runs the lifespan (private upload folders)
        yield WebSite(app, env, case_id, run.trace_id, other, photo, consent)


def page_text(html: str) -> str:
    """What a person reads: the HTML without tags, scripts' sources and attributes."""
    body = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body)
