"""Fixtures for the store: a real data folder (database, key, index) in a temporary
directory, on SQLite and on PostgreSQL (the ``backend`` fixture, tests/backends.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.store.home import Home, InitResult, init_home
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store
from tests.backends import Backend, clone_home

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC).timestamp()  # a Tuesday morning, UTC
VIDEO_ID = "ab" * 32


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> InitResult:
    root = tmp_path_factory.mktemp(f"template-{backend.name}") / "home"
    return init_home(root, env={}, database_url=backend.new_database_url())


@pytest.fixture
def initialised(_template: InitResult, tmp_path: Path, backend: Backend) -> Iterator[InitResult]:
    """A freshly initialised home: a copy of one made once per session (argon2 and the
    migrations take most of a second; the copy keeps file modes; on PostgreSQL the
    server copies the template's database)."""
    root = tmp_path / "home"
    url = clone_home(backend, _template.home.root, root)
    yield dataclasses.replace(_template, home=Home.at(root, env={}))
    backend.drop(url)


@pytest.fixture
def store(initialised: InitResult) -> Iterator[Store]:
    with Store.open(initialised.home) as s:
        yield s


@pytest.fixture
def video(store: Store) -> VideoRecord:
    store.add_camera(CameraRecord("cam-1", "Main entrance", site="Station"))
    return store.begin_video(video_record())


def video_record() -> VideoRecord:
    """The 10-minute video of cam-1 the store tests ingest into."""
    return VideoRecord(
        video_id=VIDEO_ID,
        camera_id="cam-1",
        path="/footage/cam-1.mp4",
        start_utc=datetime.fromtimestamp(T0, UTC),
        duration_s=600.0,
        fps=25.0,
        width=1920,
        height=1080,
    )


def embedding(seed: int, dim: int = 128) -> np.ndarray:  # type: ignore[type-arg]
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return np.asarray(v / np.linalg.norm(v), np.float32)


def make_sighting(
    i: int,
    t_start_s: float = T0,
    video_id: str = VIDEO_ID,
    camera_id: str = "cam-1",
    face: bool = True,
) -> Sighting:
    t = t_start_s + np.arange(4, dtype=np.float64)
    return Sighting(
        sighting_id=f"{video_id[:8]}-{i:05d}",
        camera_id=camera_id,
        video_id=video_id,
        track_id=i,
        t_start_s=float(t[0]),
        t_end_s=float(t[-1]),
        path_t_s=t,
        path_floor_xy_m=np.array([[0, 0], [0.5, 0.1], [1.0, 0.2], [1.5, 0.3]], np.float32),
        path_approximate=False,
        face_count=3 if face else 0,
        face_quality=0.8 if face else 0.0,
        face_embedding=embedding(i) if face else None,
        appearance=embedding(10_000 + i, 64),
        mask_ratio=0.25,
        thumbnail_jpeg=b"\xff\xd8\xff\xe0JFIF-thumbnail-%d" % i if face else None,
    )
