"""The store: typed access to cameras, videos, sightings, cases and users over one database.

`Store` is one repository per aggregate (``repo_*.py``, each a `StoreBase`) joined into
the one object callers hold, so `store.create_user(...)` and `store.sightings(...)` keep
working whichever file holds them. A new aggregate is one more base class below.

`Store.open(home)` makes its own engine and session factory (nothing global), checks
that the key and schema are there, and decrypts biometric fields only when asked.
Sighting writes are idempotent by sighting id, so a resumed ingestion that commits the
same batch again adds nothing.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from cctrace.core.errors import InputError
from cctrace.store import db
from cctrace.store.crypto import Cipher, KeyFiles
from cctrace.store.home import Home
from cctrace.store.repo_audit import AuditRepo
from cctrace.store.repo_cases import CasesRepo
from cctrace.store.repo_catalog import CatalogRepo
from cctrace.store.repo_jobs import JobsRepo
from cctrace.store.repo_maintenance import MaintenanceRepo
from cctrace.store.repo_settings import SettingsRepo
from cctrace.store.repo_sightings import SightingsRepo
from cctrace.store.repo_sites import SitesRepo
from cctrace.store.repo_traces import TraceRunsRepo
from cctrace.store.repo_users import UsersRepo
from cctrace.store.sighting_rows import utc_day


class Store(
    UsersRepo,
    AuditRepo,
    CatalogRepo,
    SightingsRepo,
    CasesRepo,
    SettingsRepo,
    MaintenanceRepo,
    TraceRunsRepo,
    JobsRepo,
    SitesRepo,
):
    """Repository over one home's database; use as a context manager or call `close`."""

    @classmethod
    def open(cls, home: Home) -> Store:
        if home.uses_sqlite and not home.db_path.exists():
            raise InputError(
                f"no cctrace database in {home.root}: run `cctrace init --home {home.root}` first"
            )
        cipher = Cipher.from_key_files(KeyFiles(home.key_path))
        engine = db.make_engine(home.database_url)
        try:
            current, head = db.current_revision(engine), db.head_revision()
        except OperationalError as exc:
            engine.dispose()
            if home.uses_sqlite:
                # SQLite opens its journal beside the file: a folder this process cannot
                # write to fails here, and that, not the database, is what to fix.
                home.check_folder_writable()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InputError(
                f"cannot reach the database of {home.root} ({home.database_label}): {reason}; "
                f"start it, or fix {home.database_url_path} or $CCTRACE_DATABASE_URL"
            ) from None
        if current is None:  # a PostgreSQL database nobody initialised (SQLite: no file)
            engine.dispose()
            raise InputError(
                f"the database of {home.root} ({home.database_label}) holds no cctrace "
                f"schema: run `cctrace init --home {home.root}` first"
            )
        if current != head:
            engine.dispose()
            raise InputError(
                f"the database of {home.root} is at schema {current}, this cctrace needs {head}: "
                f"run `cctrace init --home {home.root}` to upgrade it"
            )
        return cls(home, engine, cipher)


__all__ = ["Store", "utc_day"]
