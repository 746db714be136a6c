"""Jobs outlive the server: recorded before they run, run again after a restart (or marked
failed with the reason), in worker processes, visible only to who started them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cctrace.services.jobs import job_dir
from cctrace.store.home import Home
from cctrace.store.repository import Store
from tests.api.conftest import bearer, make_app, write_video
from tests.security.conftest import SecEnv, cheap_argon2, make_env

DEADLINE_S = 90.0


def poll(client: TestClient, job_id: str, token: str) -> dict[str, Any]:
    """The job once it is done or failed (fails the test after `DEADLINE_S`)."""
    end = time.monotonic() + DEADLINE_S
    while True:
        r = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(token))
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["state"] in ("done", "failed"):
            return job
        assert time.monotonic() < end, f"job {job_id} still {job['state']}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> SecEnv:
    with cheap_argon2():
        return make_env(tmp_path_factory.mktemp("jobs"))


def _upload(client: TestClient, token: str, video: bytes, name: str) -> str:
    r = client.post(
        "/api/v1/footage",
        headers=bearer(token),
        data={"camera_id": "lobby"},
        files={"file": (name, video, "video/mp4")},
    )
    assert r.status_code == 202, r.text
    job_id: str = r.json()["job_id"]
    return job_id


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Distinct tiny videos (the index knows a video by its content)."""
    root = tmp_path_factory.mktemp("videos")
    return [write_video(root / f"{k}.mp4", seconds=1.0 + k / 10).read_bytes() for k in range(4)]


def test_a_job_survives_a_restart(env: SecEnv, videos: list[bytes]) -> None:
    token = env.token_of("ingest")
    # A server that records the jobs and stops before running them.
    with TestClient(make_app(env.home)) as first:
        kept = _upload(first, token, videos[0], "kept.mp4")
        lost = _upload(first, token, videos[1], "lost.mp4")
        stopped = _upload(first, token, videos[2], "stopped.mp4")
        assert first.get(f"/api/v1/jobs/{kept}", headers=bearer(token)).json()["state"] == "queued"
    # One upload is lost meanwhile; one job was "running" when its server died.
    with Store.open(Home.at(env.home)) as store:
        upload = next(job_dir(store.home, lost).iterdir())
        upload.unlink()
        store.update_job(stopped, state="running", started=True)
    with TestClient(make_app(env.home, run_jobs=True)) as second:
        done = poll(second, kept, token)
        assert done["state"] == "done", done
        assert done["progress"] == 1.0 and done["error"] is None
        (video,) = done["result"]["videos"]
        assert video["path"] == "kept.mp4" and video["camera_id"] == "lobby"
        assert video["outcome"] == "ingested"
        failed = poll(second, lost, token)
        assert failed["state"] == "failed" and failed["result"] is None
        assert "lost.mp4 is gone" in failed["error"], failed
        assert poll(second, stopped, token)["state"] == "done"
    with Store.open(Home.at(env.home)) as store:
        # Indexed footage is kept (evidence reads its frames), where the index says.
        recorded = {Path(v.path) for v in store.videos_of_camera("lobby")}
        assert recorded == {
            job_dir(store.home, j) / f"{j_name}.mp4"
            for j, j_name in ((kept, "kept"), (stopped, "stopped"))
        }
        assert all(p.is_file() for p in recorded)
        assert not job_dir(store.home, lost).exists()
        attempts = {j: store.get_job(j).attempts for j in (kept, stopped)}  # type: ignore[union-attr]
    assert attempts == {kept: 1, stopped: 2}


def test_an_upload_indexed_before_is_not_kept_twice(env: SecEnv, videos: list[bytes]) -> None:
    token = env.token_of("ingest")
    with TestClient(make_app(env.home, run_jobs=True)) as client:
        again = poll(client, _upload(client, token, videos[0], "again.mp4"), token)
        assert again["state"] == "done"
        assert again["result"]["videos"][0]["outcome"] == "already-ingested"
        with Store.open(Home.at(env.home)) as store:
            assert not job_dir(store.home, again["job_id"]).exists()


def test_a_job_of_a_revoked_user_fails_with_the_reason(env: SecEnv, videos: list[bytes]) -> None:
    with cheap_argon2(), Store.open(Home.at(env.home)) as store:
        token = store.create_user("rec-2", "ingest").token
    with TestClient(make_app(env.home)) as first:
        job_id = _upload(first, token, videos[3], "late.mp4")
        revoked = first.delete("/api/v1/users/rec-2", headers=bearer(env.token))
        assert revoked.status_code == 200
    with (
        TestClient(make_app(env.home, run_jobs=True)) as second,
        Store.open(Home.at(env.home)) as store,
    ):
        end = time.monotonic() + DEADLINE_S
        while (job := store.get_job(job_id)) is not None and job.state not in ("done", "failed"):
            assert time.monotonic() < end
            time.sleep(0.2)
        assert job is not None and job.state == "failed"
        assert job.error == "the token of user rec-2 was revoked after the job was queued"
        # The owner's token no longer works, so nobody can read the job over HTTP.
        assert second.get(f"/api/v1/jobs/{job_id}", headers=bearer(token)).status_code == 401
