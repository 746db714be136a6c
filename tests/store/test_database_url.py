"""How a data folder chooses its database: `cctrace init --database-url` records it for
every later command; bad or unreachable URLs are input errors that create nothing."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from cctrace.cli import app
from cctrace.core.errors import InputError
from cctrace.store.camera_import import camera_record
from cctrace.store.crypto import write_new_key_file
from cctrace.store.home import Home
from cctrace.store.models import CameraRow
from cctrace.store.records import CameraRecord
from cctrace.store.repository import Store
from tests.backends import Backend


def _cctrace(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, list(args), env={"CCTRACE_DATABASE_URL": "", **(env or {})})
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def pg_url(backend: Backend) -> Iterator[str]:
    """A new database on the server (tests using it are marked ``postgres_only``)."""
    url = backend.new_database_url()
    assert url is not None
    yield url
    backend.drop(url)


@pytest.mark.postgres_only("needs a database server")
def test_init_records_the_url_and_every_command_uses_it(tmp_path: Path, pg_url: str) -> None:
    home = tmp_path / "home"
    code, out, err = _cctrace("init", "--home", str(home), "--database-url", pg_url, "--json")
    assert code == 0, err
    token = json.loads(out)["admin_token"]
    recorded = home / "database.url"
    assert recorded.read_text().strip() == pg_url
    assert stat.S_IMODE(recorded.stat().st_mode) == 0o600  # it may hold a password
    assert not (home / "cctrace.db").exists()
    code, _, err = _cctrace(
        "cameras", "add", "gate", "--name", "North gate", "--home", str(home), "--token", token
    )
    assert code == 0, err
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(CameraRow.name)).scalars().all() == ["North gate"]
    finally:
        engine.dispose()
    assert not (home / "cctrace.db").exists()
    assert Home.at(home, env={}).database_url == pg_url
    # A second init with the same URL changes nothing; another URL is refused.
    code, out, _ = _cctrace("init", "--home", str(home), "--database-url", pg_url)
    assert code == 0 and "nothing was changed" in out
    other = pg_url.rsplit("/", 1)[0] + "/elsewhere"
    code, _, err = _cctrace("init", "--home", str(home), "--database-url", other)
    assert code == 2 and "will not point it at" in err and "another --home" in err
    assert recorded.read_text().strip() == pg_url


def test_the_environment_overrides_the_recorded_url(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "database.url").write_text("postgresql+psycopg://a@db/one\n")
    assert Home.at(home, env={}).database_url == "postgresql+psycopg://a@db/one"
    env = {"CCTRACE_DATABASE_URL": "postgresql+psycopg://b@db/two"}
    assert Home.at(home, env=env).database_url == "postgresql+psycopg://b@db/two"


def test_a_sqlite_folder_is_not_repointed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cctrace("init", "--home", str(home))[0] == 0
    code, _, err = _cctrace(
        "init", "--home", str(home), "--database-url", "postgresql+psycopg://u:secret@h/db"
    )
    assert code == 2 and "SQLite in" in err
    assert "secret" not in err  # passwords never reach a message
    assert not (home / "database.url").exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a URL"),
        ("mysql+pymysql://u@h/db", "runs on SQLite or PostgreSQL"),
        ("postgresql+asyncpg://u@h/db", "uses psycopg 3"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/db", "cannot reach the database"),
    ],
)
def test_a_bad_or_unreachable_url_is_an_input_error_and_creates_nothing(
    tmp_path: Path, url: str, says: str
) -> None:
    home = tmp_path / "home"
    code, out, err = _cctrace("init", "--home", str(home), "--database-url", url)
    assert code == 2, (out, err)
    assert says in " ".join(err.split())
    assert "secret" not in err
    assert not home.exists()


def test_over_long_text_is_an_input_error_on_either_database(
    store: Store, backend: Backend, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="use at most 200"):
        camera_record("gate", "N" * 201)
    # Past the checks (a caller that builds the record itself): PostgreSQL refuses the
    # value, which is an input error with nothing written, not a crash.
    if backend.is_postgres:
        with pytest.raises(InputError, match="refused a value"):
            store.add_camera(CameraRecord("gate", "N" * 201))
        assert store.list_cameras() == []
    # An audit entry is never refused: its fields are fitted to their columns.
    seq = store.audit("a" * 300, "admin", "x" * 60, "failed: " + "y" * 400, target="t")
    entry = store.audit_entries()[-1]
    assert entry.seq == seq and len(entry.outcome) == 200 and entry.outcome.endswith("…")
    assert store.verify_audit().ok


@pytest.mark.postgres_only("needs a database server")
def test_an_empty_database_asks_for_init(tmp_path: Path, pg_url: str) -> None:
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True, mode=0o700)
    write_new_key_file(home / "keys" / "master.key")
    (home / "database.url").write_text(pg_url + "\n")
    code, _, err = _cctrace("cameras", "list", "--home", str(home), "--token", "x.y")
    assert code == 2
    assert "holds no cctrace schema" in err and "cctrace init --home" in err
    assert "None" not in err
