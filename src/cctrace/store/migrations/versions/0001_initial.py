"""Initial schema: users, cameras, videos, sightings.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("x_m", sa.Double(), nullable=True),
        sa.Column("y_m", sa.Double(), nullable=True),
        sa.Column("calibration_json", sa.Text(), nullable=True),
        sa.Column("reprojection_error_m", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "videos",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("camera_id", sa.String(100), sa.ForeignKey("cameras.id"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("start_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("fps", sa.Double(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("checkpoint_t_s", sa.Double(), nullable=True),
        sa.Column("next_track_id", sa.Integer(), nullable=False),
        sa.Column("frames_analysed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_videos_camera_id", "videos", ["camera_id"])
    op.create_table(
        "sightings",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("video_id", sa.String(64), sa.ForeignKey("videos.id"), nullable=False),
        sa.Column("camera_id", sa.String(100), sa.ForeignKey("cameras.id"), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("t_start_s", sa.Double(), nullable=False),
        sa.Column("t_end_s", sa.Double(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("path_json", sa.Text(), nullable=False),
        sa.Column("path_approximate", sa.Boolean(), nullable=False),
        sa.Column("face_count", sa.Integer(), nullable=False),
        sa.Column("face_quality", sa.Double(), nullable=False),
        sa.Column("mask_ratio", sa.Double(), nullable=True),
        sa.Column("face_embedding_enc", sa.LargeBinary(), nullable=True),
        sa.Column("appearance_enc", sa.LargeBinary(), nullable=True),
        sa.Column("thumbnail_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sightings_video_id", "sightings", ["video_id"])
    op.create_index("ix_sightings_camera_id", "sightings", ["camera_id"])
    op.create_index("ix_sightings_t_start_s", "sightings", ["t_start_s"])
    op.create_index("ix_sightings_day", "sightings", ["day"])


def downgrade() -> None:
    op.drop_table("sightings")
    op.drop_table("videos")
    op.drop_table("cameras")
    op.drop_table("users")
