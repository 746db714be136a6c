"""The data folder ("home"): database, key, vector index and exports under one root.

    <root>/cctrace.db             SQLite database (unless CCTRACE_DATABASE_URL says otherwise)
    <root>/keys/master.key        32-byte AES key, mode 0600, folder 0700
    <root>/keys/next.key          the new key while `cctrace keys rotate` runs
    <root>/index/faces/<day>/     encrypted vector index segments, one folder per UTC day
    <root>/exports/<case id>/     reports written for investigators, one folder per case
                                  (destroyed when the case is closed)

`init_home` creates what is missing and never replaces what exists, so running it again
is safe (and upgrades the schema after a cctrace update).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from cctrace.core.errors import InputError
from cctrace.store import db
from cctrace.store.crypto import write_new_key_file
from cctrace.store.models import UserRow
from cctrace.store.users import create_user, has_users

HOME_ENV = "CCTRACE_HOME"
DATABASE_URL_ENV = "CCTRACE_DATABASE_URL"
ADMIN_NAME = "admin"


@dataclass(frozen=True)
class Home:
    """Where one cctrace installation keeps its data; ``database_url`` is a setting."""

    root: Path
    database_url: str

    @classmethod
    def at(cls, root: Path, env: Mapping[str, str] | None = None) -> Home:
        """The home at ``root``; the database URL comes from ``CCTRACE_DATABASE_URL`` if set."""
        env = os.environ if env is None else env
        root = root.expanduser().absolute()
        url = env.get(DATABASE_URL_ENV) or f"sqlite:///{root / 'cctrace.db'}"
        return cls(root, url)

    @property
    def db_path(self) -> Path:
        return self.root / "cctrace.db"

    @property
    def key_path(self) -> Path:
        return self.root / "keys" / "master.key"

    @property
    def next_key_path(self) -> Path:
        """The new key during a rotation (see `cctrace.store.crypto.KeyFiles`)."""
        return self.key_path.with_name("next.key")

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def faces_index_dir(self) -> Path:
        return self.index_dir / "faces"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def case_exports_dir(self, case_id: str) -> Path:
        """Where a case's reports and evidence go; `cctrace case close` wipes it."""
        if not case_id or "/" in case_id or "\\" in case_id or case_id in {".", ".."}:
            raise InputError(f"case id {case_id!r} cannot name a folder")
        return self.exports_dir / case_id

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@dataclass(frozen=True)
class InitResult:
    """``admin_token`` is set only when this run created the admin (shown once, never stored)."""

    home: Home
    admin_token: str | None
    created: bool
    upgraded_from: str | None = None
    """The schema revision an existing folder was upgraded from (None: no upgrade)."""

    @property
    def message(self) -> str:
        if self.created:
            return f"created cctrace data folder {self.home.root}"
        if self.upgraded_from is not None:
            return (
                f"cctrace data folder {self.home.root} already existed; its database was "
                f"upgraded from schema {self.upgraded_from} to {db.head_revision()}"
            )
        return f"cctrace data folder {self.home.root} already existed; nothing was changed"


def resolve_home(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """``--home`` wins, then ``$CCTRACE_HOME``, then the per-user data folder."""
    env = os.environ if env is None else env
    if explicit is not None:
        return explicit.expanduser().absolute()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser().absolute()
    return Path(platformdirs.user_data_dir("cctrace")) / "home"


def init_home(root: Path, env: Mapping[str, str] | None = None) -> InitResult:
    """Create the data folder, key, schema and first admin; on a second run, change nothing."""
    home = Home.at(root, env)
    made = _make_folders(home)
    try:
        engine = db.make_engine(home.database_url)
        try:
            # next.key alone: a key rotation was interrupted; `cctrace keys rotate` ends it.
            if not home.key_path.exists() and not home.next_key_path.exists():
                _refuse_new_key_for_old_data(home, engine)
                write_new_key_file(home.key_path)
            before = db.current_revision(engine)
            db.upgrade(engine)
            upgraded = before if before is not None and before != db.head_revision() else None
            with Session(engine) as session, session.begin():
                token = None if has_users(session) else create_user(session, ADMIN_NAME, "admin")
        finally:
            engine.dispose()
    except OSError as exc:
        _remove_made(made)
        raise InputError(
            f"cannot initialise the cctrace data folder {home.root}: {exc.strerror or exc} "
            f"({exc.filename or home.root}); choose a writable folder with --home or {HOME_ENV}"
        ) from None
    # `created` follows the token: a run that found an admin made nothing a user must know.
    return InitResult(home, None if token is None else token.token, token is not None, upgraded)


def _make_folders(home: Home) -> list[Path]:
    """Create missing folders; returns those made (deepest last) so a failure can undo them."""
    wanted = [home.root, home.key_path.parent, home.faces_index_dir, home.exports_dir]
    made: list[Path] = []
    try:
        for folder in wanted:
            missing = [p for p in (folder, *folder.parents) if not p.exists()]
            for p in reversed(missing):
                p.mkdir(mode=0o700 if p == home.key_path.parent else 0o777)
                made.append(p)
        # A folder that exists but cannot be written must fail now, not after half a setup.
        probe = home.root / ".cctrace-write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        _remove_made(made)
        raise InputError(
            f"cannot create the cctrace data folder {home.root}: "
            f"{exc.strerror or exc} ({exc.filename or home.root}); "
            f"choose a writable folder with --home or {HOME_ENV}"
        ) from None
    return made


def _remove_made(made: list[Path]) -> None:
    for p in reversed(made):
        try:
            for child in p.iterdir():  # only files this run may have written (db, key)
                if child.is_file():
                    child.unlink()
            p.rmdir()
        except OSError:
            pass


def _refuse_new_key_for_old_data(home: Home, engine: Engine) -> None:
    # A database with users but no key means the key was lost or moved: a new key would
    # not bring the data back and would hide the real problem.
    if not inspect(engine).has_table("users"):
        return
    with engine.connect() as conn:
        users = conn.execute(select(func.count()).select_from(UserRow)).scalar_one()
    if users:
        raise InputError(
            f"{home.root} holds a database but its key file {home.key_path} is missing: "
            "restore the key from your backup; cctrace will not make a new key for old data"
        )
