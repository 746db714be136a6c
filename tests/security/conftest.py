"""The security suite's data folder: one admin and a user of every role, made once per module.

Same style as `tests.ingest.conftest` (``Env``, ``db_dump``), with two things that keep the
suite fast on two cores:

- The role users are created in-process with cheap argon2 parameters. An argon2 hash carries
  its own parameters, so the product verifies these tokens with the product code, only
  faster; what the product itself hashes (``cctrace init``, ``users add``) is untouched and
  checked in ``tests/store``.
- ``SecEnv.run`` runs the real Typer app in-process (argument parsing, token check, exit code,
  stderr; a crash fails the test), about ten times cheaper than a new interpreter per call.
  ``SecEnv.proc`` runs ``python -m cctrace`` in a subprocess, for the checks that must go
  through the installed entry point (tokens, a sample of the matrix).
"""

from __future__ import annotations

import os
import subprocess
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cctrace.cli import app
from cctrace.store import tokens
from cctrace.store.camera_import import camera_record
from cctrace.store.home import Home, init_home
from cctrace.store.records import Role
from cctrace.store.repository import Store
from tests.backends import Backend
from tests.ingest.conftest import CCTRACE, Env

ROLES: tuple[Role, ...] = ("admin", "investigator", "supervisor", "auditor", "ingest")
"""Every role, in the order of the issue's table (issue 16 added the supervisor)."""

USER_OF_ROLE = {
    "admin": "admin",
    "investigator": "dr-kim",
    "supervisor": "lead-park",
    "auditor": "aud",
    "ingest": "rec",
}
OTHER_INVESTIGATOR = "dr-ng"


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


@contextmanager
def cheap_argon2() -> Iterator[None]:
    """Hash new tokens with the cheapest argon2id parameters while the block runs."""
    real = tokens._HASHER
    tokens._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        tokens._HASHER = real


@dataclass(frozen=True)
class SecEnv(Env):
    """A data folder, the token of each user by name, and a scratch folder outside it."""

    users: dict[str, str] = field(default_factory=dict)
    scratch: Path = Path()

    def token_of(self, role_or_name: str) -> str:
        return self.users[USER_OF_ROLE.get(role_or_name, role_or_name)]

    def as_(self, role_or_name: str) -> Env:
        return Env(self.home, self.token_of(role_or_name))

    def run(
        self,
        *args: str,
        token: str | None = "",
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
    ) -> Result:
        """``cctrace ARGS`` in-process; ``token=""`` uses the admin's, None sets none.

        Any exception other than the CLI's own exit is a crash, and fails the test."""
        tok = self.token if token == "" else token
        full_env: dict[str, str | None] = {
            "CCTRACE_HOME": str(self.home),
            "CCTRACE_TOKEN": tok,
            **(env or {}),
        }
        old = Path.cwd()
        os.chdir(cwd or self.scratch)
        try:
            r = CliRunner().invoke(app, list(args), env=full_env)
        finally:
            os.chdir(old)
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            tb = "".join(traceback.format_exception(r.exception))
            raise AssertionError(f"cctrace {' '.join(args)} crashed:\n{tb}")
        return Result(r.exit_code, r.stdout, r.stderr)

    def proc(
        self, *args: str, token: str | None = "", cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python -m cctrace ARGS`` in a subprocess (the real entry point)."""
        tok = self.token if token == "" else token
        env = {k: v for k, v in os.environ.items() if k != "CCTRACE_TOKEN"}
        env["CCTRACE_HOME"] = str(self.home)
        if tok is not None:
            env["CCTRACE_TOKEN"] = tok
        return subprocess.run(
            [*CCTRACE, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd or self.scratch,
        )

    def audit_rows(self) -> list[tuple[str, str, str, str | None, str]]:
        """(actor, role, action, case, outcome) of every audit entry, oldest first."""
        engine = create_engine(Home.at(self.home, env={}).database_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT actor, role, action, case_id, outcome FROM audit ORDER BY seq")
                )
                return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        finally:
            engine.dispose()

    def files(self) -> set[str]:
        """Every file name under the data folder and the scratch folder (SQLite's own
        transient -wal/-shm/-journal files and the audit log's anchor left out)."""
        out = set()
        for root in (self.home, self.scratch):
            for p in root.rglob("*"):
                if not p.name.endswith(("-wal", "-shm", "-journal", "audit.anchor")):
                    out.add(str(p))
        return out

    @contextmanager
    def unchanged(self) -> Iterator[None]:
        """Assert the block leaves the database (audit apart) and every file name alone."""
        dump, files = self.db_dump(), self.files()
        yield
        assert self.db_dump() == dump, "the database changed"
        assert self.files() == files, f"files changed: {self.files() ^ files}"


def make_env(root: Path, database_url: str | None = None) -> SecEnv:
    """A data folder with camera ``lobby`` (site clinic) and one user of every role, plus
    a second investigator; its database at ``database_url`` (default: SQLite in it)."""
    home = root / "home"
    scratch = root / "scratch"
    scratch.mkdir(parents=True)
    with cheap_argon2():
        admin = init_home(home, env={}, database_url=database_url)
        assert admin.admin_token is not None
        users = {"admin": admin.admin_token}
        with Store.open(Home.at(home, env={})) as store:
            for role in ROLES[1:]:
                users[USER_OF_ROLE[role]] = store.create_user(USER_OF_ROLE[role], role).token
            users[OTHER_INVESTIGATOR] = store.create_user(OTHER_INVESTIGATOR, "investigator").token
            store.add_camera(
                camera_record("lobby", "Clinic lobby", site="clinic", x_m=0.0, y_m=0.0)
            )
    return SecEnv(home, admin.admin_token, users, scratch)


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[SecEnv]:
    url = backend.new_database_url()
    yield make_env(tmp_path_factory.mktemp(f"security-{backend.name}"), url)
    backend.drop(url)


def refused_by_role(r: Result, right: str) -> None:
    assert r.exit_code == 4, (r.exit_code, r.stderr)
    assert right in r.stderr, r.stderr
    assert r.stdout == ""
