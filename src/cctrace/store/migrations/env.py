"""Alembic environment: always handed a live connection by `cctrace.store.db.upgrade`.

There is no alembic.ini: the database URL is a cctrace setting (`CCTRACE_DATABASE_URL`),
not a second configuration file that could disagree with it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cctrace.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through cctrace.store.db.upgrade(engine)")

# render_as_batch: SQLite cannot ALTER most columns; batch mode recreates the table instead.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
