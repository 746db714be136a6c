"""Alembic environment and revisions; run from code by `cctrace.store.db.upgrade`."""
