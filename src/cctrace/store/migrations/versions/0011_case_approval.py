"""Four eyes on every case: a supervisor's decision, the diagnosis reference, why a case
closed (closed, withdrawn, expired).

Cases that were open before this revision become pending: none of them was approved by a
second person, so none may be traced until a supervisor approves it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns only (nullable or with a server default): SQLite adds them in place,
    # without recreating `cases`, which other tables reference.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("diagnosis_ref", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("decided_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("closed_reason", sa.String(20), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
    op.execute("UPDATE cases SET status = 'pending' WHERE status = 'open'")
    op.execute("UPDATE cases SET closed_reason = 'closed' WHERE status = 'closed'")


def downgrade() -> None:
    op.execute("UPDATE cases SET status = 'open' WHERE status IN ('pending', 'approved')")
    op.execute("UPDATE cases SET status = 'closed' WHERE status = 'rejected'")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("withdrawal_reason")
        batch.drop_column("closed_reason")
        batch.drop_column("decision_reason")
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
        batch.drop_column("diagnosis_ref")
