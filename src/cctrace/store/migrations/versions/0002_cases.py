"""Cases with consent records and encrypted reference embeddings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("consent_given_by", sa.String(200), nullable=False),
        sa.Column("consent_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_sha256", sa.String(64), nullable=False),
        sa.Column("t_from_s", sa.Double(), nullable=False),
        sa.Column("t_to_s", sa.Double(), nullable=False),
        sa.Column("site", sa.String(200), nullable=True),
        sa.Column("camera_ids_json", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_cases_owner_id", "cases", ["owner_id"])
    op.create_table(
        "case_references",
        sa.Column("id", sa.String(60), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("quality", sa.Double(), nullable=False),
        sa.Column("embedding_enc", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_case_references_case_id", "case_references", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_references_case_id", "case_references")
    op.drop_table("case_references")
    op.drop_index("ix_cases_owner_id", "cases")
    op.drop_table("cases")
