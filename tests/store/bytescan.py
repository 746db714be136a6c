"""Scan every file of a data folder for given bytes (purge, case closure, key rotation)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def found(root: Path, needles: dict[str, bytes]) -> list[str]:
    """``name in path`` for each needle found in any file under ``root`` (database, its
    -wal and -shm files, index segments, leftovers, exports)."""
    hits = []
    for path in files_under(root):
        data = path.read_bytes()
        hits += [f"{name} in {path.relative_to(root)}" for name, b in needles.items() if b in data]
    return hits


def blobs(db: Path, sql: str) -> list[tuple[str, bytes]]:
    """``(id, blob)`` rows of a query, read with plain sqlite3 (closed at once)."""
    conn = sqlite3.connect(db)
    try:
        return [(str(r[0]), bytes(r[1])) for r in conn.execute(sql) if r[1] is not None]
    finally:
        conn.close()


def tail(blob: bytes, n: int = 32) -> bytes:
    """The last ``n`` bytes of an encrypted blob: ciphertext and tag, unique to it (the
    header's key id is shared by every blob, so it must not be a needle)."""
    return blob[-n:]
