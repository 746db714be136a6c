"""Kill ingestion at random moments, run it again, and get exactly a clean run's result."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.ingest.conftest import CCTRACE, Env, new_env

ARGS = ("--camera", "lobby", "--fps", "2", "--checkpoint-every", "3")


def stored(env: Env) -> list[Sighting]:
    with Store.open(Home.at(env.home)) as store:
        return sorted(store.sightings(with_biometrics=True), key=lambda s: s.sighting_id)


def assert_same(a: list[Sighting], b: list[Sighting]) -> None:
    assert [s.sighting_id for s in a] == [s.sighting_id for s in b]
    for x, y in zip(a, b, strict=True):
        assert (x.t_start_s, x.t_end_s, x.face_count) == (y.t_start_s, y.t_end_s, y.face_count)
        np.testing.assert_array_equal(x.path_t_s, y.path_t_s)
        np.testing.assert_allclose(x.path_floor_xy_m, y.path_floor_xy_m, atol=1e-4)
        for ex, ey in ((x.face_embedding, y.face_embedding), (x.appearance, y.appearance)):
            assert (ex is None) == (ey is None)
            if ex is not None and ey is not None:
                np.testing.assert_allclose(ex, ey, atol=1e-4)


def kill_and_resume(env: Env, clip: Path, delays_s: list[float]) -> int:
    """Start ingestion, SIGKILL it after each delay in turn, then let it finish.

    Returns how many runs were actually killed before they finished."""
    killed = 0
    for delay in delays_s:
        proc = subprocess.Popen(
            [*CCTRACE, "ingest", str(clip), *ARGS],
            env=env.vars(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    env.cli("ingest", str(clip), *ARGS)
    return killed


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> tuple[list[Sighting], float]:
    """The clean run's sightings and its wall time (kill points are fractions of it)."""
    env = new_env(tmp_path_factory.mktemp("clean"))
    t0 = time.perf_counter()
    env.cli("ingest", str(clip), *ARGS)
    wall_s = time.perf_counter() - t0
    sightings = stored(env)
    assert len(sightings) >= 2  # the 3 s segments split the walk: several checkpoints
    return sightings, wall_s


def test_killed_twice_then_resumed_equals_clean_run(
    env: Env, clip: Path, clean: tuple[list[Sighting], float]
) -> None:
    sightings, wall_s = clean
    # Each killed run gets part-way (the first past model loading into the video), and
    # the second starts from the first one's checkpoint.
    killed = kill_and_resume(env, clip, [0.6 * wall_s, 0.5 * wall_s])
    assert killed >= 1
    assert_same(stored(env), sightings)
    again = env.json("ingest", str(clip), *ARGS)
    assert again["videos"][0]["outcome"] == "already-ingested"


@pytest.mark.slow
def test_ten_random_kill_points(env: Env, clip: Path, clean: tuple[list[Sighting], float]) -> None:
    sightings, wall_s = clean
    rng = random.Random(20261127)
    delays = [rng.uniform(0.2, 0.7) * wall_s for _ in range(10)]
    killed = kill_and_resume(env, clip, delays)
    assert killed >= 8
    assert_same(stored(env), sightings)
