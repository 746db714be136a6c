"""A manifest ingested by workers (local processes, or a 2-worker Ray cluster) stores
exactly what ingesting each file alone stores, even when a worker is killed mid-segment;
a video cut into segments gives the sightings of the whole video."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cctrace.core.types import Sighting
from cctrace.ingest.distributed import ProcessRunner, RayRunner, Runner
from cctrace.ingest.pipeline import IngestOptions
from cctrace.schemas import IngestOut
from cctrace.services.auth import authenticate
from cctrace.services.footage import ingest_manifest
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.video.clips import make_clip
from tests.ingest.conftest import Env, new_env
from tests.ingest.test_resume import assert_same, stored

FPS = "2"
OPTIONS = IngestOptions(sample_fps=2.0)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, shared_video: Path) -> Path:
    """Frames 450-700 (25 s, a keyframe every second) of the shared video: a person walks
    through from about 6 s to 24 s."""
    out = tmp_path_factory.mktemp("clips") / "hall.mp4"
    return make_clip(
        shared_video, out, 450, 700, creation_time="2026-11-20T11:00:00Z", keyframe_every=10
    )


def two_camera_env(root: Path) -> Env:
    env = new_env(root)
    env.cli("cameras", "add", "hall", "--name", "Clinic hall", "--x-m", "5", "--y-m", "0")
    return env


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory, clip: Path, walk: Path) -> list[Sighting]:
    """Each file ingested alone, as `cctrace ingest FILE --camera ...` does it."""
    env = two_camera_env(tmp_path_factory.mktemp("alone"))
    env.cli("ingest", str(clip), "--camera", "lobby", "--fps", FPS)
    env.cli("ingest", str(walk), "--camera", "hall", "--fps", FPS)
    sightings = stored(env)
    assert len({s.video_id for s in sightings}) == 2
    return sightings


def write_manifest(folder: Path, clip: Path, walk: Path) -> Path:
    manifest = folder / "footage.csv"
    manifest.write_text(f"path,camera_id,start\n{clip},lobby,\n{walk},hall,2026-11-20T11:00:00Z\n")
    return manifest


def run_manifest(env: Env, manifest: Path, runner: Runner, segment_s: float = 600.0) -> IngestOut:
    with Store.open(Home.at(env.home)) as store:
        ctx = authenticate(store, env.token, "add_footage")
        return ingest_manifest(ctx, manifest, OPTIONS, runner=runner, segment_s=segment_s)


def kill_one_when(
    find: Callable[[], list[int]], after_s: float
) -> tuple[threading.Thread, list[int]]:
    """A thread that SIGKILLs the first process ``find`` names once it has run ``after_s``."""
    killed: list[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 300
        seen_at: dict[int, float] = {}
        while time.monotonic() < deadline and not killed:
            for pid in find():
                seen_at.setdefault(pid, time.monotonic())
                if time.monotonic() - seen_at[pid] >= after_s:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    killed.append(pid)
                    return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread, killed


def pool_workers() -> list[int]:
    import multiprocessing

    return [p.pid for p in multiprocessing.active_children() if p.pid is not None]


def test_manifest_on_local_processes_with_a_killed_worker_equals_each_file_alone(
    tmp_path: Path, clip: Path, walk: Path, alone: list[Sighting]
) -> None:
    env = two_camera_env(tmp_path)
    runner = ProcessRunner(2)
    # 3 s after a worker starts it is loading the models for, or analysing, its first
    # segment: either way the job it holds is lost with it
    thread, killed = kill_one_when(pool_workers, after_s=3.0)
    out = run_manifest(env, write_manifest(tmp_path, clip, walk), runner)
    thread.join(timeout=1)
    assert killed, "no worker was killed: the test did not test a retry"
    assert runner.retries >= 1
    assert [v.outcome for v in out.videos] == ["ingested", "ingested"]
    assert_same(stored(env), alone)
    assert sum(v.sightings_added for v in out.videos) == len(alone)
    # the same manifest again adds nothing
    again = run_manifest(env, write_manifest(tmp_path, clip, walk), ProcessRunner(2))
    assert [v.outcome for v in again.videos] == ["already-ingested"] * 2
    assert_same(stored(env), alone)


def test_a_video_cut_into_segments_gives_the_sightings_of_the_whole(
    tmp_path: Path, walk: Path, alone: list[Sighting]
) -> None:
    env = two_camera_env(tmp_path)
    manifest = tmp_path / "walk.csv"
    manifest.write_text(f"path,camera_id,start\n{walk},hall,2026-11-20T11:00:00Z\n")
    # 8 s segments: cuts at 8 s and 16 s; the walker (6 s to 24 s) crosses both
    out = run_manifest(env, manifest, ProcessRunner(2), segment_s=8.0)
    [video] = out.videos
    whole = [s for s in alone if s.video_id == video.video_id]
    split = stored(env)
    start_s = datetime.fromisoformat(video.start).timestamp()
    cuts_s = [start_s + 8.0, start_s + 16.0]
    assert any(s.t_start_s < c < s.t_end_s for s in split for c in cuts_s), "no track crossed a cut"
    assert len(split) == len(whole)
    step_s = 1.0 / OPTIONS.sample_fps
    for w, s in zip(whole, split, strict=True):
        assert abs(w.t_start_s - s.t_start_s) <= step_s and abs(w.t_end_s - s.t_end_s) <= step_s
        assert (w.face_embedding is None) == (s.face_embedding is None)


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """A local Ray cluster of 2 worker CPUs, stopped after the module."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def ray_segment_workers() -> list[int]:
    """Ray worker processes running a segment (Ray names them after the task)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"ray::run_segment"):
            pids.append(int(entry.name))
    return pids


@pytest.mark.ray
def test_manifest_on_ray_with_a_killed_worker_equals_each_file_alone(
    tmp_path: Path, clip: Path, walk: Path, alone: list[Sighting], ray_cluster: None
) -> None:
    env = two_camera_env(tmp_path)
    thread, killed = kill_one_when(ray_segment_workers, after_s=3.0)
    out = run_manifest(env, write_manifest(tmp_path, clip, walk), RayRunner("auto"))
    thread.join(timeout=1)
    assert killed, "no Ray worker was killed: the test did not test a retry"
    assert [v.outcome for v in out.videos] == ["ingested", "ingested"]
    assert_same(stored(env), alone)
