"""Scan every file of a data folder for given bytes (purge, case closure, key rotation);
on PostgreSQL, the server's files of the folder's database too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.backends import database_url_of, server_files


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def found(root: Path, needles: dict[str, bytes], wal: bool = False) -> list[str]:
    """``name in path`` for each needle found in any file under ``root`` (database, its
    -wal and -shm files, index segments, leftovers, exports) or, on PostgreSQL, in the
    database's files on the server (with ``wal``, its write-ahead log too)."""
    hits = []
    for path in files_under(root) + server_files(root, wal):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            # The server removes some files of its own while running (the relation cache
            # pg_internal.init is deleted when invalidated): a file gone between the
            # listing and the read holds nothing any more.
            continue
        where = path.relative_to(root) if path.is_relative_to(root) else path
        hits += [f"{name} in {where}" for name, b in needles.items() if b in data]
    return hits


def blobs(db: Path, sql: str) -> list[tuple[str, bytes]]:
    """``(id, blob)`` rows of a query on the database of the data folder holding ``db``
    (its SQLite file), read with plain sqlite3 or, on PostgreSQL, SQLAlchemy."""
    url = database_url_of(db.parent)
    if url is not None:
        engine = create_engine(url)
        try:
            with engine.connect() as pg:
                rows = pg.execute(text(sql)).all()
        finally:
            engine.dispose()
        return [(str(r[0]), bytes(r[1])) for r in rows if r[1] is not None]
    conn = sqlite3.connect(db)
    try:
        return [(str(r[0]), bytes(r[1])) for r in conn.execute(sql) if r[1] is not None]
    finally:
        conn.close()


def tail(blob: bytes, n: int = 32) -> bytes:
    """The last ``n`` bytes of an encrypted blob: ciphertext and tag, unique to it (the
    header's key id is shared by every blob, so it must not be a needle)."""
    return blob[-n:]
