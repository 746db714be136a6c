"""The data folder: init, idempotency, key file, settings, schema."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cctrace.core.errors import InputError
from cctrace.store import db
from cctrace.store.home import Home, InitResult, init_home, resolve_home
from cctrace.store.models import Base
from cctrace.store.records import CameraRecord
from cctrace.store.repository import Store
from tests.backends import Backend


def test_init_creates_folder_key_database_and_admin(tmp_path: Path) -> None:
    initialised = init_home(tmp_path / "home", env={})
    home = initialised.home
    assert initialised.created
    assert initialised.admin_token
    for folder in (home.root, home.faces_index_dir, home.exports_dir):
        assert folder.is_dir()
    assert home.db_path.is_file()
    assert stat.S_IMODE(home.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.key_path.parent.stat().st_mode) == 0o700
    assert len(home.key_path.read_bytes()) == 32
    with Store.open(home) as store:
        user = store.authenticate(initialised.admin_token)
    assert (user.name, user.role) == ("admin", "admin")
    # The token itself is nowhere in the folder: only its argon2 hash is stored.
    secret = initialised.admin_token.split(".", 1)[1].encode()
    for path in home.root.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_second_init_destroys_nothing_and_prints_no_token(initialised: InitResult) -> None:
    home = initialised.home
    key = home.key_path.read_bytes()
    with Store.open(home) as store:
        store.add_camera(CameraRecord("cam-9", "Platform 2"))
    again = init_home(home.root, env={})
    assert again.admin_token is None
    assert not again.created
    assert "already existed" in again.message
    assert home.key_path.read_bytes() == key
    with Store.open(home) as store:
        assert [c.camera_id for c in store.list_cameras()] == ["cam-9"]
        store.authenticate(initialised.admin_token)  # the first token still works


def test_unwritable_home_is_an_input_error_and_creates_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the parent folder should be")
    target = blocker / "home"
    with pytest.raises(InputError, match=str(target)):
        init_home(target, env={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_read_only_parent_is_an_input_error(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir(mode=0o500)
    # Root writes through permission bits; the immutable flag stops root too.
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(parent)], check=True)
    try:
        with pytest.raises(InputError, match="choose a writable folder"):
            init_home(parent / "home", env={})
        assert list(parent.iterdir()) == []
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(parent)], check=True)


def test_missing_key_with_existing_data_is_refused(initialised: InitResult) -> None:
    home = initialised.home
    home.key_path.unlink()
    with pytest.raises(InputError, match="restore the key"):
        init_home(home.root, env={})
    assert not home.key_path.exists()
    with pytest.raises(InputError, match="missing"):
        Store.open(home)


def test_key_readable_by_others_is_refused(initialised: InitResult) -> None:
    initialised.home.key_path.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        Store.open(initialised.home)


def test_open_without_init_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cctrace init"):
        Store.open(Home.at(tmp_path / "nothing", env={}))


def test_resolve_home_precedence(tmp_path: Path) -> None:
    env = {"CCTRACE_HOME": str(tmp_path / "from-env")}
    assert resolve_home(tmp_path / "explicit", env) == tmp_path / "explicit"
    assert resolve_home(None, env) == tmp_path / "from-env"
    default = resolve_home(None, {})
    assert default.name == "home" and "cctrace" in str(default)


def test_database_url_is_a_setting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = init_home(tmp_path / "home", env={"CCTRACE_DATABASE_URL": url})
    assert result.home.database_url == url
    assert (tmp_path / "elsewhere.db").is_file()
    assert not result.home.db_path.exists()


@pytest.mark.sqlite_only("the pragmas set on every SQLite connection")
def test_sqlite_pragmas(initialised: InitResult) -> None:
    engine = db.make_engine(initialised.home.database_url)
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "secure_delete", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "secure_delete": 1,
        "busy_timeout": db.SQLITE_BUSY_TIMEOUT_MS,
    }


def test_migrations_match_the_models(initialised: InitResult, backend: Backend) -> None:
    engine = db.make_engine(initialised.home.database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()
    assert diff == []
    if backend.is_postgres:
        return
    # Plain sqlite3 sees the tables too (nothing hidden in an attached file).
    with sqlite3.connect(initialised.home.db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "cameras", "videos", "sightings", "alembic_version"} <= tables


def test_init_on_an_older_schema_upgrades_it_and_says_so(initialised: InitResult) -> None:
    from alembic import command

    engine = db.make_engine(initialised.home.database_url)
    try:
        config = db._alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0004")
        assert db.current_revision(engine) == "0004"
    finally:
        engine.dispose()
    again = init_home(initialised.home.root, env={})
    assert not again.created and again.admin_token is None
    assert again.upgraded_from == "0004"
    assert f"upgraded from schema 0004 to {db.head_revision()}" in again.message
    assert init_home(initialised.home.root, env={}).upgraded_from is None
