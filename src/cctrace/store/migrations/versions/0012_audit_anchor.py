"""The audit log's anchor in the database, for servers shared by several hosts.

On PostgreSQL the API workers and ingestion writers of many hosts append to one log, and
a file beside one host's data folder is not what the others see: the anchor (the chain's
latest ``seq`` and hash) is one row here, moved in the transaction of each append. SQLite
keeps its ``audit.anchor`` file (one host, one folder) and leaves this table empty.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # A PostgreSQL log written before this revision kept its anchor in a file on one
    # host: the row starts at the log's current head, so verification goes on passing
    # and truncation from here on is caught.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO audit_anchor (id, seq, hash) "
            "SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
        )


def downgrade() -> None:
    op.drop_table("audit_anchor")
