"""Ingestion through the CLI, on real footage, with the real models."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.ingest.conftest import Env

# Checks made before any database write: on PostgreSQL they would repeat the SQLite run.
BEFORE_THE_DATABASE = pytest.mark.sqlite_only("input checks made before any database write")


def test_ingest_then_same_file_again_adds_nothing(env: Env, clip: Path) -> None:
    first = env.json("ingest", str(clip), "--camera", "lobby", "--fps", "2")
    [video] = first["videos"]
    assert video["outcome"] == "ingested"
    assert video["start"] == "2026-11-20T10:00:00+00:00"  # from the container's metadata
    assert video["sightings_added"] >= 1
    stats = env.json("index", "stats")
    assert stats["sightings"] == video["sightings_added"]
    assert stats["faces"] >= 1  # the walker's face is seen
    before = env.db_dump()
    again = env.json("ingest", str(clip), "--camera", "lobby", "--fps", "2")
    [video2] = again["videos"]
    assert video2["outcome"] == "already-ingested"
    assert video2["sightings_added"] == 0
    assert env.db_dump() == before
    # a copy under another name has the same content: still nothing added
    copy = clip.parent / "copy-of-lobby.mp4"
    copy.write_bytes(clip.read_bytes())
    assert (
        env.json("ingest", str(copy), "--camera", "lobby")["videos"][0]["outcome"]
        == "already-ingested"
    )


@pytest.mark.sqlite_only("the first test ingests on PostgreSQL; the export reads the same rows")
def test_sightings_carry_paths_times_and_mot_export(env: Env, clip: Path, tmp_path: Path) -> None:
    env.cli(
        "ingest",
        str(clip),
        "--camera",
        "lobby",
        "--fps",
        "2",
        "--start",
        "2026-11-20T09:00:00+01:00",
    )
    stats = env.json("index", "stats")
    assert str(stats["first"]).startswith("2026-11-20T08:00")  # +01:00 stored as UTC
    out = env.json("index", "export-mot", "--camera", "lobby", "--out", str(tmp_path / "mot"))
    [mot_file] = out["files"]
    lines = Path(mot_file).read_text().splitlines()
    assert len(lines) == out["lines"] and lines
    frame, track_id, x, y, w, h = (float(v) for v in lines[0].split(",")[:6])
    assert x >= 0 and y >= 0
    assert frame >= 1 and track_id >= 1 and w > 10 and h > 20
    # people cross one at a time: never two tracks on one frame
    frames = [line.split(",")[0] for line in lines]
    assert len(frames) == len(set(frames))


def _truncate(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


@pytest.mark.parametrize(
    ("case", "message"),
    [
        pytest.param("missing", "no such video file", marks=BEFORE_THE_DATABASE),
        pytest.param("text", "not a readable video", marks=BEFORE_THE_DATABASE),
        pytest.param("random", "not a readable video", marks=BEFORE_THE_DATABASE),
        pytest.param("truncated-mp4", "not a readable video", marks=BEFORE_THE_DATABASE),
        ("truncated-mkv", "truncated"),  # fails mid-ingest: the rollback is the database's
        ("unknown-camera", "unknown camera 'gate-7'"),
        pytest.param("bad-start", "not ISO 8601", marks=BEFORE_THE_DATABASE),
        pytest.param("future-start", "lies in the future", marks=BEFORE_THE_DATABASE),
    ],
)
def test_bad_input_exits_2_and_leaves_the_database_unchanged(
    env: Env, clip: Path, clip_mkv: Path, tmp_path: Path, case: str, message: str
) -> None:
    camera, extra = "lobby", []
    video = clip
    if case == "missing":
        video = tmp_path / "nope.mp4"
    elif case == "text":
        video = tmp_path / "notes.mp4"
        video.write_text("not a video\n" * 100)
    elif case == "random":
        video = tmp_path / "noise.avi"
        video.write_bytes(bytes(range(256)) * 400)
    elif case == "truncated-mp4":
        video = _truncate(clip, tmp_path / "cut.mp4", 0.5)
    elif case == "truncated-mkv":
        video = _truncate(clip_mkv, tmp_path / "cut.mkv", 0.5)
    elif case == "unknown-camera":
        camera = "gate-7"
    elif case == "bad-start":
        extra = ["--start", "last tuesday"]
    elif case == "future-start":
        extra = ["--start", "2999-01-01T00:00:00Z"]
    before = env.db_dump()
    result = env.cli(
        "ingest", str(video), "--camera", camera, "--fps", "2", *extra, "--json", check=False
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    if case not in ("unknown-camera", "bad-start", "future-start"):
        assert video.name in result.stderr
    assert env.db_dump() == before


@BEFORE_THE_DATABASE
def test_unwritable_data_folder_exits_2(env: Env, clip: Path) -> None:
    before = env.db_dump()
    subprocess.run(["chattr", "+i", str(env.home)], check=True)
    try:
        result = env.cli("ingest", str(clip), "--camera", "lobby", check=False)
    finally:
        subprocess.run(["chattr", "-i", str(env.home)], check=True)
    assert result.returncode == 2, result.stderr
    assert "not writable" in result.stderr and str(env.home) in result.stderr
    assert env.db_dump() == before


@BEFORE_THE_DATABASE
def test_ingest_needs_a_valid_token(env: Env, clip: Path) -> None:
    result = Env(env.home, "wrong.token").cli("ingest", str(clip), "--camera", "lobby", check=False)
    assert result.returncode == 4
    assert "token" in result.stderr
