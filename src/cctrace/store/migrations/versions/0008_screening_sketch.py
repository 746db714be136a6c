"""Sightings carry an encrypted colour sketch, and the window index holds it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Appearance screening reads every sighting within minutes of a patient's stays, to keep
the few that could be the patient. Most are ruled out by colour alone (the combined
similarity is at most ``0.3 + 0.7 * colour``), but each row's colour was inside its
2.7 kB appearance blob, one table page per row: on the 10 M-sighting scale city with the
rows on disk that was most of a 10-patient trace (docs/benchmarks.md, "Scale"). The
colour part is now stored a second time, encrypted on its own (about 120 bytes), and the
(camera, start, end) index also holds the id and that sketch: screening reads the index
alone and goes to the table only for the rows colour cannot rule out.

The column is added empty. Filling it needs the encryption key, which migrations do not
have: the ``colour_sketch_backfill`` setting marks it as pending, and `cctrace init`
fills it in (`Store.backfill_colour_sketches`, batch by batch, resumable) and then
removes the mark. Until then screening reads the whole vector of rows without a sketch.

A window read scans the index from the longest a sighting may last (an hour) before the
window, though ingestion ends every track at its 5-minute checkpoint: most of what it
scanned was thrown away. The ``longest_sighting_s`` setting now holds the longest
sighting stored (found here with one pass over the table; raised by every insert in
its own transaction), and reads scan from that far back.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BACKFILL_SETTING = "colour_sketch_backfill"
LONGEST_SETTING = "longest_sighting_s"


def upgrade() -> None:
    op.add_column("sightings", sa.Column("appearance_colour_enc", sa.LargeBinary(), nullable=True))
    op.create_index(
        "ix_sightings_screen",
        "sightings",
        ["camera_id", "t_start_s", "t_end_s", "id", "appearance_colour_enc"],
    )
    op.drop_index("ix_sightings_camera_t_end", table_name="sightings")
    conn = op.get_bind()
    longest = conn.execute(sa.text("SELECT max(t_end_s - t_start_s) FROM sightings")).scalar()
    settings = sa.table(
        "settings",
        sa.column("key", sa.String()),
        sa.column("value", sa.Text()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("updated_by", sa.String()),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "key": LONGEST_SETTING,
            "value": repr(float(longest or 0.0)),
            "updated_at": now,
            "updated_by": "migration 0008",
        }
    ]
    if longest is not None:  # sightings stored: their sketches are to be filled in
        rows.append(
            {
                "key": BACKFILL_SETTING,
                "value": "pending",
                "updated_at": now,
                "updated_by": "migration 0008",
            }
        )
    op.bulk_insert(settings, rows)


def downgrade() -> None:
    op.execute(
        sa.text(f"DELETE FROM settings WHERE key IN ('{BACKFILL_SETTING}', '{LONGEST_SETTING}')")
    )
    op.create_index("ix_sightings_camera_t_end", "sightings", ["camera_id", "t_start_s", "t_end_s"])
    op.drop_index("ix_sightings_screen", table_name="sightings")
    op.drop_column("sightings", "appearance_colour_enc")
