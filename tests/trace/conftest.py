"""Fixtures: the scripted morning of `tests.trace.scenario` in a real data folder (SQLite
or PostgreSQL: the ``backend`` fixture; key, encrypted face index), built once per
session and backend and only read by the tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest

from cctrace.store.home import Home, init_home
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.backends import Backend
from tests.trace.helpers import video_of
from tests.trace.scenario import CAMERAS, DAY_S, scenario


@dataclasses.dataclass(frozen=True)
class World:
    home: Home


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> World:
    root = tmp_path_factory.mktemp(f"trace-{backend.name}") / "home"
    home = init_home(root, env={}, database_url=backend.new_database_url()).home
    sightings = scenario()
    with Store.open(home) as store:
        store.add_cameras(CAMERAS)
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        for cam in CAMERAS:
            mine = [s for s in sightings if s.camera_id == cam.camera_id]
            if not mine:
                continue
            vid = video_of(cam.camera_id)
            start = min(s.t_start_s for s in mine)
            store.begin_video(
                VideoRecord(
                    vid,
                    cam.camera_id,
                    f"/footage/{cam.camera_id}.mp4",
                    datetime.fromtimestamp(start, UTC),
                    2 * DAY_S,
                    25.0,
                    1920,
                    1080,
                )
            )
            store.commit_checkpoint(vid, mine, 2 * DAY_S, len(mine), 0)
            store.finish_video(vid)
        for day in sorted({utc_day(s.t_start_s) for s in sightings}):
            faces = [
                (s.sighting_id, s.face_embedding)
                for s in sightings
                if s.face_embedding is not None and utc_day(s.t_start_s) == day
            ]
            index.add(day, [i for i, _ in faces], np.stack([f for _, f in faces]))
    return World(home)


@pytest.fixture
def store(world: World) -> Iterator[Store]:
    with Store.open(world.home) as s:
        yield s


@pytest.fixture
def index(world: World, store: Store) -> FlatFaceIndex:
    return FlatFaceIndex(world.home.faces_index_dir, store.cipher)
