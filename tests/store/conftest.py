"""Fixtures for the store: a real data folder (SQLite, key, index) in a temporary directory."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.store.home import Home, InitResult, init_home
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC).timestamp()  # a Tuesday morning, UTC
VIDEO_ID = "ab" * 32


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> InitResult:
    return init_home(tmp_path_factory.mktemp("template") / "home", env={})


@pytest.fixture
def initialised(_template: InitResult, tmp_path: Path) -> InitResult:
    """A freshly initialised home: a copy of one made once per session (argon2 and the
    migrations take most of a second; the copy keeps file modes)."""
    root = tmp_path / "home"
    shutil.copytree(_template.home.root, root)
    return dataclasses.replace(_template, home=Home.at(root, env={}))


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
