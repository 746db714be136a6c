"""Site plan images (one per site, with its scale) and the stage a running job is at.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_plans",
        sa.Column("site", sa.String(200), primary_key=True),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("width_px", sa.Integer(), nullable=False),
        sa.Column("height_px", sa.Integer(), nullable=False),
        sa.Column("metres_per_px", sa.Double(), nullable=False),
        sa.Column("origin_x_px", sa.Double(), nullable=False),
        sa.Column("origin_y_px", sa.Double(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("jobs", sa.Column("stage", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "stage")
    op.drop_table("site_plans")
