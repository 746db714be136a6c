"""What every repository of the store shares: the home, the engine, the cipher and the
transaction helper. The repositories (``repo_*.py``) derive from `StoreBase` so that
each knows these attributes, and `repository.Store` joins them into one object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from cctrace.core.errors import InputError
from cctrace.store.crypto import Cipher
from cctrace.store.db import IMMEDIATE
from cctrace.store.home import Home


class StoreBase:
    """One home's database; use as a context manager or call `close`."""

    def __init__(self, home: Home, engine: Engine, cipher: Cipher) -> None:
        self.home = home
        self.cipher = cipher
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite it takes the write lock when it begins (``BEGIN IMMEDIATE``): a write
        transaction that first reads (the audit log reads its last entry) and only then
        writes would otherwise fail at once with "database is locked" whenever another
        connection wrote in between, instead of waiting its turn (the busy timeout)."""
        try:
            with self._sessions() as session, session.begin():
                session.connection(execution_options={IMMEDIATE: True})
                yield session
        except DataError as exc:
            # PostgreSQL checks what SQLite stores as given (a text longer than its
            # column): the transaction is rolled back, and the user told, not a crash.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InputError(
                f"the database of {self.home.root} refused a value ({reason}); "
                "shorten the text you gave and try again"
            ) from None

    def check_writable(self) -> None:
        """InputError naming the data folder when this process cannot write to it."""
        self.home.check_folder_writable()
        if self.home.uses_sqlite and not os.access(self.home.db_path, os.W_OK):
            raise InputError(f"database {self.home.db_path} is read-only; fix its permissions")
