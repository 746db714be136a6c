"""The API suite's data folder and client: the security suite's users (one per role and a
second investigator, made with cheap argon2 parameters), served by `create_app` through
FastAPI's TestClient, in-process, with its lifespan.

Jobs are not run here (``run_jobs=False``) unless a test builds its own app: the role
matrix only needs them queued. `tests/api/test_flow.py` runs them in worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import fastapi.routing
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cctrace.api.app import create_app
from cctrace.api.settings import ApiSettings, BadTokenSlowdown
from cctrace.sim.render import encode_h264
from tests.cases import DIAGNOSIS_REF, consent_pdf
from tests.security.conftest import SecEnv, cheap_argon2, make_env

CONSENT = consent_pdf()
DAY = "2026-11-20"


def make_app(home: Path, **settings: Any) -> FastAPI:
    """The API over ``home``: no daily purge, no job workers, unless asked."""
    defaults: dict[str, Any] = {
        "daily_purge": False,
        "run_jobs": False,
        "slowdown": BadTokenSlowdown(free_attempts=10_000),
    }
    return create_app(home, ApiSettings(**{**defaults, **settings}))


@dataclass(frozen=True)
class Served:
    method: str
    path: str
    openapi_extra: dict[str, Any] | None


def served_routes(app: FastAPI) -> list[Served]:
    """Every (method, path) the app answers, its included routers' routes too.

    FastAPI 0.165 keeps included routers whole in ``app.routes`` and lists their routes
    through ``fastapi.routing.iter_route_contexts``; older versions copy them in."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(contexts(app.routes)) if contexts is not None else list(app.routes)
    out = []
    for route in routes:
        methods = getattr(route, "methods", None) or set()
        for method in sorted(methods):
            path = str(getattr(route, "path", ""))
            out.append(Served(method, path, getattr(route, "openapi_extra", None)))
    return out


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Api:
    """A client of the API over the security suite's data folder."""

    client: TestClient
    env: SecEnv

    def auth(self, role_or_name: str) -> dict[str, str]:
        return bearer(self.env.token_of(role_or_name))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with cheap_argon2():
        env = make_env(tmp_path_factory.mktemp("api"))
        # Made before any request, so that `SecEnv.unchanged` sees no new folder.
        (env.home / "uploads" / "requests").mkdir(parents=True, mode=0o700)
        with TestClient(make_app(env.home)) as client:
            yield Api(client, env)


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error body of ``response``, checked to have ``status`` and the one error shape."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def write_video(path: Path, seconds: float = 1.0, size_px: tuple[int, int] = (64, 48)) -> Path:
    """A tiny H.264 video (a grey frame moving a bar) with a recording time a day ago."""
    fps = 10.0
    w, h = size_px

    def frames() -> Iterator[np.ndarray[Any, np.dtype[np.uint8]]]:
        for i in range(round(seconds * fps)):
            image = np.full((h, w, 3), 90, np.uint8)
            image[:, (i * 3) % w : (i * 3) % w + 4] = 200
            yield image

    encode_h264(path, fps, size_px, frames(), datetime.now(UTC) - timedelta(days=1))
    return path


@pytest.fixture(scope="session")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_video(tmp_path_factory.mktemp("video") / "tiny.mp4").read_bytes()


@pytest.fixture(scope="session")
def astronaut_jpeg(astronaut_bgr: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    ok, data = cv2.imencode(".jpg", astronaut_bgr)
    assert ok
    return bytes(data.tobytes())


def case_form(
    photo: bytes | None, consent: bytes | None = CONSENT, day: str = DAY, **extra: str
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    """The multipart body of POST /api/v1/cases: (form fields, files)."""
    data = {
        "consent_given_by": "the patient",
        "consent_date": day,
        "diagnosis_ref": DIAGNOSIS_REF,
        "from": f"{day}T00:00:00Z",
        "to": f"{day}T23:59:00Z",
        **extra,
    }
    files = []
    if photo is not None:
        files.append(("patient_photo", ("patient.jpg", photo, "image/jpeg")))
    if consent is not None:
        files.append(("consent_file", ("consent-form.pdf", consent, "application/pdf")))
    return data, files
