"""A fresh data folder with one camera (on SQLite and on PostgreSQL: the ``backend``
fixture), and short clips of the shared video."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cctrace.video.clips import make_clip
from tests.backends import Backend, dump_rows

CCTRACE = [sys.executable, "-m", "cctrace"]


@dataclass(frozen=True)
class Env:
    home: Path
    token: str

    def vars(self) -> dict[str, str]:
        return {**os.environ, "CCTRACE_HOME": str(self.home), "CCTRACE_TOKEN": self.token}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CCTRACE, *args], env=self.vars(), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"cctrace {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def db_dump(self) -> list[str]:
        """Every row of the database as text: equal dumps mean an unchanged database.

        The audit log is left out: every attempt, failed ones too, is rightly logged."""
        return dump_rows(self.home)


def new_env(root: Path, database_url: str | None = None) -> Env:
    """``cctrace init`` (with ``--database-url`` when given) and camera ``lobby``."""
    home = root / "home"
    url = [] if database_url is None else ["--database-url", database_url]
    result = subprocess.run(
        [*CCTRACE, "init", "--home", str(home), *url, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    env = Env(home, json.loads(result.stdout)["admin_token"])
    env.cli(
        "cameras",
        "add",
        "lobby",
        "--name",
        "Clinic lobby",
        "--site",
        "clinic",
        "--x-m",
        "0",
        "--y-m",
        "0",
    )
    return env


@pytest.fixture
def env(tmp_path: Path, backend: Backend) -> Iterator[Env]:
    url = backend.new_database_url()
    yield new_env(tmp_path, url)
    backend.drop(url)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory, shared_video: Path) -> Path:
    """Frames 40-220 (4 s to 22 s) of the shared video: one person walks through."""
    out = tmp_path_factory.mktemp("clips") / "lobby.mp4"
    return make_clip(shared_video, out, 40, 220, creation_time="2026-11-20T10:00:00Z")


@pytest.fixture(scope="session")
def clip_mkv(tmp_path_factory: pytest.TempPathFactory, shared_video: Path) -> Path:
    out = tmp_path_factory.mktemp("clips") / "lobby.mkv"
    return make_clip(shared_video, out, 40, 220, creation_time="2026-11-20T10:00:00Z")
