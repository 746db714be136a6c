"""`cctrace sim` and `cctrace eval sim` through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.ingest.conftest import Env


def _cctrace(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CCTRACE_HOME": str(home)}
    env.pop("CCTRACE_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "cctrace", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sim_then_eval_gives_the_documented_json(tmp_path: Path) -> None:
    home = tmp_path / "city"
    made = _cctrace(
        home, "sim", "--cameras", "4", "--people", "10", "--hours", "0.5", "--seed", "3", "--json"
    )
    assert made.returncode == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["sightings"] > 0 and out["cameras"] == 4
    again = json.loads(
        _cctrace(
            home,
            "sim",
            "--cameras",
            "4",
            "--people",
            "10",
            "--hours",
            "0.5",
            "--seed",
            "3",
            "--json",
        ).stdout
    )
    assert again["already_written"] is True
    scored = _cctrace(home, "eval", "sim", "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert set(report) == {"route", "contacts", "exposure_error_s", "distance_error_m"}
    assert set(report["route"]) == {"recall", "precision"}
    assert set(report["contacts"]) == {"kdca-2022", "cdc-2020", "who-2020"}
    for score in report["contacts"].values():
        assert set(score) == {"recall", "precision", "f1"}
    assert 0.0 <= report["route"]["recall"] <= 1.0


@pytest.mark.sqlite_only("decided from what the folder holds, before any write")
def test_sim_refuses_a_folder_with_real_footage(env: Env, clip: Path) -> None:
    env.cli("ingest", str(clip), "--camera", "lobby", "--fps", "1")
    before = env.db_dump()
    result = _cctrace(env.home, "sim", "--cameras", "2", "--people", "4", "--hours", "0.2")
    assert result.returncode == 2, result.stderr
    assert "real footage" in result.stderr
    assert env.db_dump() == before


@pytest.mark.sqlite_only("decided from what the folder holds, before any write")
def test_sim_refuses_a_folder_with_cameras_even_without_footage(env: Env) -> None:
    # `env` holds one real camera and no footage: a real installation being set up.
    before = env.db_dump()
    result = _cctrace(env.home, "sim", "--cameras", "2", "--people", "4", "--hours", "0.2")
    assert result.returncode == 2, result.stderr
    assert "already has cameras (e.g. lobby)" in result.stderr
    assert env.db_dump() == before
