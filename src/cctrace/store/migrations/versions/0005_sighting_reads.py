"""Faster sighting reads: binary paths and a (camera, start time) index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Rows written before keep their JSON path (``path_json``); new rows store ``path_bin``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sightings") as batch:
        batch.add_column(sa.Column("path_bin", sa.LargeBinary(), nullable=True))
        batch.alter_column("path_json", existing_type=sa.Text(), nullable=True)
    op.create_index("ix_sightings_camera_t", "sightings", ["camera_id", "t_start_s"])


def downgrade() -> None:
    op.drop_index("ix_sightings_camera_t", table_name="sightings")
    with op.batch_alter_table("sightings") as batch:
        batch.drop_column("path_bin")
        batch.alter_column("path_json", existing_type=sa.Text(), nullable=False)
