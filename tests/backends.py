"""The two databases the store, ingest, trace, privacy and security suites run on.

The ``backend`` fixture (tests/conftest.py) is parametrised over SQLite and PostgreSQL;
the fixtures that make a data folder take it, so every test built on them runs on both.
PostgreSQL needs a server: ``CCTRACE_TEST_PG_URL`` (``make test`` starts a throwaway one
with tools/pg/pg_throwaway.sh); without it the PostgreSQL variants are skipped, with the
reason printed. Each data folder gets its own database, made by the server from a
template where a fixture copies a prepared folder, and dropped when the test ends.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.pool import NullPool

from cctrace.store.home import DATABASE_URL_FILE, Home
from cctrace.store.models import Base

PG_URL_ENV = "CCTRACE_TEST_PG_URL"


@dataclass
class Backend:
    """``name`` is ``sqlite`` or ``postgres``; ``server_url`` is the PostgreSQL server's."""

    name: str
    server_url: str | None = None
    _made: list[str] = field(default_factory=list)

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgres"

    def new_database_url(self, template: str | None = None) -> str | None:
        """A new empty database (or a copy of ``template``'s); None on SQLite, where the
        data folder holds its own."""
        if self.server_url is None:
            return None
        name = f"cctrace_test_{uuid.uuid4().hex[:16]}"
        copy = "" if template is None else f" TEMPLATE {make_url(template).database}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name}{copy}".encode())
        self._made.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str | None) -> None:
        """Drop a database this backend made (connections still open are ended)."""
        if url is None or self.server_url is None:
            return
        name = make_url(url).database
        assert name is not None and name in self._made, name
        with self._admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        self._made.remove(name)

    def drop_all(self) -> None:
        for name in list(self._made):
            self.drop(make_url(self.server_url or "").set(database=name).render_as_string())

    @contextmanager
    def _admin(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        assert self.server_url is not None
        dsn = make_url(self.server_url).set(drivername="postgresql")
        with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as conn:
            yield conn


def database_url_of(root: Path) -> str | None:
    """The URL recorded in a data folder (None: SQLite in the folder)."""
    path = root / DATABASE_URL_FILE
    return path.read_text().strip() if path.exists() else None


def clone_home(backend: Backend, source: Path, dest: Path) -> str | None:
    """Copy a data folder (file modes kept) and, on PostgreSQL, its database; the copy's
    database URL (None on SQLite). ``source``'s database must have no open connection."""
    shutil.copytree(source, dest)
    url = database_url_of(source)
    if url is None:
        return None
    new = backend.new_database_url(template=url)
    assert new is not None
    (dest / DATABASE_URL_FILE).write_text(new + "\n")
    return new


def dump_rows(root: Path, skip: tuple[str, ...] = ("audit", "audit_anchor")) -> list[str]:
    """Every row of every table of a data folder's database as text, tables by name and
    rows in key order: equal dumps mean an unchanged database (on either backend)."""
    # The models' tables, not the database's (reflection costs a second per dump on
    # PostgreSQL); tests/store checks that the migrations make exactly these.
    engine = create_engine(Home.at(root, env={}).database_url, poolclass=NullPool)
    try:
        out: list[str] = []
        with engine.connect() as conn:
            for name in sorted(Base.metadata.tables):
                if name in skip:
                    continue
                table = Base.metadata.tables[name]
                order = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(select(table).order_by(*order)):
                    out.append(f"{name}: {tuple(row)!r}")
                out.append(f"{name}: end")
        return out
    finally:
        engine.dispose()


def server_files(root: Path, wal: bool = False) -> list[Path]:
    """The PostgreSQL files holding a data folder's database (its tables, indexes and
    TOAST, after a CHECKPOINT wrote them out), and with ``wal`` the server's write-ahead
    log; [] on SQLite, whose files are in the folder. Reading them needs root or the
    ``postgres`` user (as in ``make test``); otherwise the test is skipped, saying so."""
    url = database_url_of(root)
    if url is None:
        return []
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(b"CHECKPOINT")
        data_dir = conn.execute(b"SHOW data_directory").fetchone()
        oid = conn.execute(
            b"SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert data_dir is not None and oid is not None
    base = Path(str(data_dir[0])) / "base" / str(oid[0])
    if not os.access(base, os.R_OK | os.X_OK):
        pytest.skip(f"cannot read the PostgreSQL server's files in {base}: run as root")
    files = sorted(p for p in base.iterdir() if p.is_file())
    if wal:
        files += sorted(p for p in (base.parent.parent / "pg_wal").iterdir() if p.is_file())
    return files
