"""The data folder ("home"): database, key, vector index and exports under one root.

    <root>/cctrace.db             SQLite database (unless the database URL names another)
    <root>/database.url           the database URL given to `cctrace init --database-url`
                                  (mode 0600: it may hold a password); $CCTRACE_DATABASE_URL
                                  overrides it
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
from sqlalchemy import Engine, func, inspect, make_url, select
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session

from cctrace.core.errors import InputError
from cctrace.store import db
from cctrace.store.crypto import write_new_key_file
from cctrace.store.models import UserRow
from cctrace.store.users import create_user, has_users

HOME_ENV = "CCTRACE_HOME"
DATABASE_URL_ENV = "CCTRACE_DATABASE_URL"
DATABASE_URL_FILE = "database.url"
ADMIN_NAME = "admin"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Home:
    """Where one cctrace installation keeps its data; ``database_url`` is a setting."""

    root: Path
    database_url: str

    @classmethod
    def at(cls, root: Path, env: Mapping[str, str] | None = None) -> Home:
        """The home at ``root``. Its database URL: ``$CCTRACE_DATABASE_URL`` if set, else
        the one `init --database-url` recorded in ``<root>/database.url``, else SQLite in
        the folder. Every command and ``cctrace serve`` open the home through here."""
        env = os.environ if env is None else env
        root = root.expanduser().absolute()
        url = env.get(DATABASE_URL_ENV) or _recorded_url(root) or f"sqlite:///{root / 'cctrace.db'}"
        return cls(root, url)

    @property
    def database_url_path(self) -> Path:
        return self.root / DATABASE_URL_FILE

    @property
    def database_label(self) -> str:
        """The database URL with any password hidden, for messages."""
        return safe_url(self.database_url)

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

    def check_folder_writable(self) -> None:
        """InputError naming the data folder when this process cannot create a file in it
        (permission bits, a read-only mount or an immutable folder, even for root)."""
        probe = self.root / f".write-check-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InputError(
                f"data folder {self.root} is not writable ({exc.strerror}); "
                "fix its permissions or choose another with --home"
            ) from None


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


def safe_url(url: str) -> str:
    """``url`` as a person may read it: the password, if any, replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable database URL)"


def check_database_url(url: str) -> str:
    """``url`` if cctrace can use it; InputError saying what to give otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            f"database URL {url!r} is not a URL: give e.g. "
            "postgresql+psycopg://user@host:5432/cctrace or sqlite:////path/cctrace.db"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise InputError(
            f"database URL {safe_url(url)} names {parsed.get_backend_name()}: cctrace runs on "
            "SQLite or PostgreSQL (postgresql+psycopg://user@host:5432/cctrace)"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise InputError(
            f"database URL {safe_url(url)} names the driver {parsed.get_driver_name()}: "
            "cctrace uses psycopg 3, so write postgresql+psycopg://..."
        )
    return url


def _recorded_url(root: Path) -> str | None:
    try:
        return (root / DATABASE_URL_FILE).read_text().strip() or None
    except (FileNotFoundError, NotADirectoryError):  # no folder yet: init will say so
        return None


def _refuse_repoint(root: Path, url: str) -> None:
    """InputError if the folder already keeps its data in another database."""
    recorded = _recorded_url(root)
    if (recorded is None and not (root / "cctrace.db").exists()) or recorded == url:
        return
    was = safe_url(recorded) if recorded is not None else f"SQLite in {root / 'cctrace.db'}"
    raise InputError(
        f"{root} already keeps its data in {was}; cctrace will not point it at "
        f"{safe_url(url)}: use another --home for the new database"
    )


def _record_url(home: Home) -> None:
    """Write ``database.url`` (0600: it may hold a password) unless it is there."""
    if _recorded_url(home.root) == home.database_url:
        return
    fd = os.open(home.database_url_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(home.database_url + "\n")


def init_home(
    root: Path, env: Mapping[str, str] | None = None, database_url: str | None = None
) -> InitResult:
    """Create the data folder, key, schema and first admin; on a second run, change nothing
    (but upgrade the schema). ``database_url`` (`init --database-url`) is recorded in the
    folder, so every later command opens that database."""
    home = Home.at(root, env)
    if database_url is not None:
        _refuse_repoint(home.root, check_database_url(database_url))
        home = Home(home.root, database_url)
    check_database_url(home.database_url)
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
        if database_url is not None:  # last: a failed init leaves no pointer behind
            _record_url(home)
    except OperationalError as exc:
        _remove_made(made)
        raise InputError(
            f"cannot reach the database {home.database_label}: "
            f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}; "
            f"start it or fix the URL (--database-url or {DATABASE_URL_ENV})"
        ) from None
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
