"""Engines and migrations. Nothing here runs at import: callers make an engine per Home."""

from __future__ import annotations

import sqlite3
import time
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "cctrace_begin_immediate"
"""Execution option of a write transaction: on SQLite it begins with the write lock."""


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, secure delete and a busy wait."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 driver's own transaction handling starts transactions late and not for
    # DDL; turning it off and issuing BEGIN ourselves (below) makes each SQLAlchemy
    # transaction a real SQLite one, which the one-transaction checkpoint relies on.
    assert isinstance(dbapi_connection, sqlite3.Connection)
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers (trace) do not block ingestion
    cur.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so purged biometric blobs leave no bytes.
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across app crashes
    cur.close()


class WalBusyError(Exception):
    """Another connection kept the write-ahead log from being emptied."""


def wipe_free_space(engine: Engine, tables: tuple[str, ...], attempts: int = 5) -> None:
    """Leave no copy of deleted rows in the database's files.

    PostgreSQL: a DELETE or UPDATE leaves the old row versions in the table's pages (and a
    plain VACUUM only marks them free), so each of ``tables`` is rewritten by VACUUM FULL
    into a new file with its indexes and TOAST, and the old files are removed. It holds
    an exclusive lock on each table while it runs. Copies in WAL archives, replicas and
    backups are the DBA's (docs/security.md).

    SQLite:
    ``secure_delete`` zeroes deleted cells in the pages it rewrites, but older copies
    of those pages remain in the write-ahead log until a checkpoint, and free pages
    in the file until a VACUUM. So: checkpoint and truncate the log, VACUUM (which
    rewrites the file through the log), then checkpoint and truncate again. Raises
    `WalBusyError` when a reader kept the log from being emptied after ``attempts``
    tries (each waits up to the busy timeout); a later call finishes the job.
    """
    if engine.dialect.name == "postgresql":
        rewrite_tables(engine, tables)
        return
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        _checkpoint(conn, attempts)
        conn.execute("VACUUM")
        _checkpoint(conn, attempts)
    finally:
        raw.close()


def rewrite_tables(engine: Engine, tables: tuple[str, ...]) -> None:
    """PostgreSQL: rewrite ``tables`` (VACUUM FULL), so that row versions an UPDATE or
    DELETE left behind leave the files; no-op on SQLite, whose ``secure_delete`` zeroes
    what it replaces."""
    if engine.dialect.name != "postgresql":
        return
    # VACUUM cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f'VACUUM (FULL) "{table}"')


def _checkpoint(conn: sqlite3.Connection, attempts: int) -> None:
    for i in range(attempts):
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.2 * (i + 1))
    raise WalBusyError("another process holds the database open")


def _sqlite_on_begin(conn: Any) -> None:
    # Write transactions (`StoreBase._write`) take the write lock at once and so wait for
    # another writer (busy timeout) rather than fail on a stale read snapshot.
    immediate = conn.get_execution_options().get(IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("cctrace.store") / "migrations"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when already there)."""
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
