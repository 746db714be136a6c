"""An ingestion worker never holds the key that opens stored biometrics: what it is given
holds only the service's public key, and what it returns is unreadable without the
service's private key. A bad manifest row is named and nothing is ingested."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from cctrace.core.errors import CorruptDataError
from cctrace.ingest.distributed import OnDone, ProcessRunner
from cctrace.ingest.payload import decode_sighting, seal_context
from cctrace.ingest.pipeline import IngestOptions
from cctrace.ingest.worker import SegmentJob, SegmentOutcome
from cctrace.services.auth import authenticate
from cctrace.services.footage import ingest_manifest
from cctrace.store.crypto import Cipher
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.store.sealing import open_sealed, public_bytes, seal_key_path
from cctrace.video.clips import make_clip
from tests.ingest.conftest import Env, new_env


class RecordingRunner:
    """The real process runner, keeping what crossed to the workers and back."""

    def __init__(self) -> None:
        self.jobs: list[SegmentJob] = []
        self.outcomes: list[SegmentOutcome] = []

    def run(self, jobs: list[SegmentJob], on_done: OnDone) -> None:
        self.jobs = list(jobs)

        def keep(job: SegmentJob, outcome: SegmentOutcome) -> None:
            self.outcomes.append(outcome)
            on_done(job, outcome)

        ProcessRunner(1).run(jobs, keep)


def test_worker_gets_no_private_key_and_returns_only_sealed_sightings(
    tmp_path: Path, shared_video: Path
) -> None:
    env = new_env(tmp_path)  # SQLite: what is sealed does not depend on the database
    # 8 s in which the first walker crosses the room (frames 60-140)
    clip = make_clip(
        shared_video, tmp_path / "short.mp4", 60, 140, creation_time="2026-11-20T10:00:00Z"
    )
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"path,camera_id,start\n{clip},lobby,\n")
    runner = RecordingRunner()
    with Store.open(Home.at(env.home)) as store:
        ctx = authenticate(store, env.token, "add_footage")
        out = ingest_manifest(ctx, manifest, IngestOptions(sample_fps=2.0), runner=runner)
        stored = list(store.sightings(with_biometrics=True))
    assert out.videos[0].sightings_added == len(stored) >= 1

    home = Home.at(env.home)
    master = home.key_path.read_bytes()
    seal_private = seal_key_path(home.key_path.parent).read_bytes()
    service_key = X25519PrivateKey.from_private_bytes(seal_private)
    # what a worker is given, as it crosses to the worker (Ray pickles it the same way)
    [job] = runner.jobs
    given = pickle.dumps(job)
    assert public_bytes(service_key.public_key()) in given
    assert seal_private not in given
    assert master not in given
    assert str(home.key_path.parent) not in given.decode("latin-1")

    # what a worker returns: every sighting sealed; neither another key nor the data
    # folder's own AES key opens it, the service's private key does
    [outcome] = runner.outcomes
    blobs = [b for cp in outcome.checkpoints for b in cp.sealed]
    assert len(blobs) == len(stored)
    context = seal_context(outcome.video_id, outcome.segment)
    stolen = X25519PrivateKey.generate()
    cipher = Cipher([master])
    by_id = {s.sighting_id: s for s in stored}
    for blob in blobs:
        with pytest.raises(CorruptDataError):
            open_sealed(stolen, blob, context)
        with pytest.raises(CorruptDataError):
            cipher.decrypt_bytes(blob, outcome.video_id, "face_embedding")
        sighting = decode_sighting(open_sealed(service_key, blob, context))
        kept = by_id[sighting.sighting_id]
        assert sighting.appearance is not None and kept.appearance is not None
        assert kept.appearance.tobytes() not in blob  # no biometric in clear
        assert sighting.t_start_s == kept.t_start_s


def test_a_bad_manifest_row_is_named_and_nothing_is_ingested(
    env: Env, tmp_path: Path, clip: Path
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,camera_id,start\n"
        f"{clip},lobby,\n"
        f"{tmp_path / 'missing.mp4'},lobby,\n"
        f"{clip},nowhere,\n"
        f"{clip},lobby,yesterday\n"
    )
    before = env.db_dump()
    result = env.cli("ingest", "--manifest", str(manifest), "--workers", "2", check=False)
    assert result.returncode == 2
    assert "line 3" in result.stderr and "missing.mp4" in result.stderr
    assert "line 4" in result.stderr and "nowhere" in result.stderr
    assert "line 5" in result.stderr and "yesterday" in result.stderr
    assert "line 2" not in result.stderr
    assert "nothing was ingested" in result.stderr
    assert env.db_dump() == before
