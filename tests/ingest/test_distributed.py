"""A manifest ingested by workers (local processes, or a 2-worker Ray cluster) stores
exactly what ingesting each file alone stores, even when a worker is killed mid-segment;
workers hold no key that opens biometrics and return only sealed sightings; a video cut
into segments gives the sightings of the whole video."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cctrace.core.errors import CorruptDataError
from cctrace.core.types import Sighting
from cctrace.ingest.distributed import OnDone, ProcessRunner, RayRunner, Runner
from cctrace.ingest.inputs import IngestOptions
from cctrace.ingest.payload import decode_sighting, seal_context
from cctrace.ingest.worker import SegmentJob, SegmentOutcome
from cctrace.schemas import IngestOut
from cctrace.services.auth import authenticate
from cctrace.services.footage import ingest_manifest
from cctrace.store.crypto import Cipher
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.store.sealing import open_sealed, public_bytes, seal_key_path
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


def run_manifest(env: Env, manifest: Path, runner: Runner) -> IngestOut:
    with Store.open(Home.at(env.home)) as store:
        ctx = authenticate(store, env.token, "add_footage")
        return ingest_manifest(ctx, manifest, OPTIONS, runner=runner)


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


class RecordingRunner:
    """The real process runner, keeping what crossed to the workers and back."""

    def __init__(self, workers: int) -> None:
        self.runner = ProcessRunner(workers)
        self.jobs: list[SegmentJob] = []
        self.outcomes: list[SegmentOutcome] = []

    def run(self, jobs: list[SegmentJob], on_done: OnDone) -> None:
        self.jobs = list(jobs)

        def keep(job: SegmentJob, outcome: SegmentOutcome) -> None:
            self.outcomes.append(outcome)
            on_done(job, outcome)

        self.runner.run(jobs, keep)


@dataclass(frozen=True)
class ProcessesRun:
    env: Env
    manifest: Path
    runner: RecordingRunner
    out: IngestOut
    killed: list[int]


@pytest.fixture(scope="module")
def on_processes(tmp_path_factory: pytest.TempPathFactory, clip: Path, walk: Path) -> ProcessesRun:
    """The manifest on 2 local processes, one of them SIGKILLed while it holds a job."""
    root = tmp_path_factory.mktemp("processes")
    env = two_camera_env(root)
    runner = RecordingRunner(2)
    # 0.5 s after a worker starts it is loading the models for its first segment (about
    # 1.3 s), and the job it holds is lost with it; at 3 s a worker on a fast CPU had
    # sometimes finished its segment, so nothing was retried
    thread, killed = kill_one_when(pool_workers, after_s=0.5)
    manifest = write_manifest(root, clip, walk)
    out = run_manifest(env, manifest, runner)
    thread.join(timeout=1)
    return ProcessesRun(env, manifest, runner, out, killed)


def test_manifest_on_local_processes_with_a_killed_worker_equals_each_file_alone(
    on_processes: ProcessesRun, alone: list[Sighting]
) -> None:
    run = on_processes
    assert run.killed, "no worker was killed: the test did not test a retry"
    assert run.runner.runner.retries >= 1
    assert [v.outcome for v in run.out.videos] == ["ingested", "ingested"]
    assert_same(stored(run.env), alone)
    assert sum(v.sightings_added for v in run.out.videos) == len(alone)
    # the same manifest again adds nothing
    again = run_manifest(run.env, run.manifest, ProcessRunner(2))
    assert [v.outcome for v in again.videos] == ["already-ingested"] * 2
    assert_same(stored(run.env), alone)


def test_worker_gets_no_private_key_and_returns_only_sealed_sightings(
    on_processes: ProcessesRun,
) -> None:
    home = Home.at(on_processes.env.home)
    master = home.key_path.read_bytes()
    seal_private = seal_key_path(home.key_path.parent).read_bytes()
    service_key = X25519PrivateKey.from_private_bytes(seal_private)
    # what workers are given, as it crosses to them (Ray pickles it the same way)
    jobs = on_processes.runner.jobs
    assert len(jobs) == 2
    for job in jobs:
        given = pickle.dumps(job)
        assert public_bytes(service_key.public_key()) in given
        assert seal_private not in given
        assert master not in given
        assert str(home.key_path.parent).encode() not in given

    # what workers return: every sighting sealed; neither another key nor the data
    # folder's own AES key opens it, the service's private key does
    stored_by_id = {s.sighting_id: s for s in stored(on_processes.env)}
    stolen = X25519PrivateKey.generate()
    cipher = Cipher([master])
    opened = 0
    for outcome in on_processes.runner.outcomes:
        context = seal_context(outcome.video_id, outcome.segment)
        for blob in (b for cp in outcome.checkpoints for b in cp.sealed):
            with pytest.raises(CorruptDataError):
                open_sealed(stolen, blob, context)
            with pytest.raises(CorruptDataError):
                cipher.decrypt_bytes(blob, outcome.video_id, "face_embedding")
            sighting = decode_sighting(open_sealed(service_key, blob, context))
            kept = stored_by_id[sighting.sighting_id]
            assert kept.appearance is not None
            assert kept.appearance.tobytes() not in blob  # no biometric in clear
            assert sighting.t_start_s == kept.t_start_s
            opened += 1
    assert opened == len(stored_by_id)


def test_a_video_cut_into_segments_gives_the_sightings_of_the_whole(
    tmp_path: Path, walk: Path, alone: list[Sighting]
) -> None:
    env = two_camera_env(tmp_path)
    manifest = tmp_path / "walk.csv"
    manifest.write_text(f"path,camera_id,start\n{walk},hall,2026-11-20T11:00:00Z\n")
    # 8 s segments: cuts at 8 s and 16 s; the walker (6 s to 24 s) crosses both
    out = env.json(
        "ingest", "--manifest", str(manifest), "--workers", "2", "--segment", "8", "--fps", FPS
    )
    [video] = out["videos"]
    whole = [s for s in alone if s.video_id == video["video_id"]]
    split = stored(env)
    start_s = datetime.fromisoformat(video["start"]).timestamp()
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
    # Ray names a worker process after its task only while the task runs, and a task here
    # (model loading and an 18 s clip at 2 frames a second) took under 3 s on a fast VM,
    # so the kill comes half a second into the task, whatever the machine's speed.
    thread, killed = kill_one_when(ray_segment_workers, after_s=0.5)
    out = run_manifest(env, write_manifest(tmp_path, clip, walk), RayRunner("auto"))
    thread.join(timeout=1)
    assert killed, "no Ray worker was killed: the test did not test a retry"
    assert [v.outcome for v in out.videos] == ["ingested", "ingested"]
    assert_same(stored(env), alone)
