"""Schema 0011 (issue 16): cases open before it become pending, since no second person
approved them; closed ones keep their status and say they were closed by their owner."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from cctrace.store import db


def test_open_cases_become_pending_and_closed_ones_stay_closed(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db._alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        conn.execute(
            text(
                "INSERT INTO users (id, name, role, token_hash, created_at) "
                "VALUES ('u1', 'dr-kim', 'investigator', 'x', '2026-11-01 00:00:00')"
            )
        )
        for case_id, status in (("case-open", "open"), ("case-shut", "closed")):
            conn.execute(
                text(
                    "INSERT INTO cases (id, label, owner_id, consent_given_by, consent_date, "
                    "consent_sha256, t_from_s, t_to_s, status, created_at) VALUES (:id, '', "
                    "'u1', 'p', '2026-11-01 00:00:00', :sha, 0, 1, :status, "
                    "'2026-11-01 00:00:00')"
                ),
                {"id": case_id, "sha": "c" * 64, "status": status},
            )
    db.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status, closed_reason, diagnosis_ref FROM cases ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("case-open", "pending", None, ""),
        ("case-shut", "closed", "closed", ""),
    ]
