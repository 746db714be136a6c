"""The audit log: every action and refusal is logged, and any tampering is caught."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text

from cctrace.store.home import Home
from tests.backends import Backend, clone_home
from tests.ingest.conftest import Env


@pytest.fixture
def audited(env: Env) -> tuple[Env, Env]:
    auditor = Env(env.home, env.json("users", "add", "aud", "--role", "auditor")["token"])
    env.cli("cameras", "list")
    Env(env.home, "bogus.token").cli("cameras", "list", check=False)
    auditor.cli("cameras", "add", "x", "--name", "X", check=False)  # refused: no right
    return env, auditor


def test_actions_and_refusals_are_logged_and_the_chain_verifies(
    audited: tuple[Env, Env],
) -> None:
    admin, auditor = audited
    entries = auditor.json("audit", "log")["entries"]
    seen = [(e["actor"], e["action"], e["outcome"]) for e in entries]
    assert ("admin", "manage_cameras", "allowed") in seen
    assert ("admin", "manage_users", "allowed") in seen
    assert ("(unknown token)", "list_cameras", "refused: bad token") in seen
    assert ("aud", "manage_cameras", "refused: missing right") in seen
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    report = auditor.json("audit", "verify")
    assert report == {"ok": True, "entries": len(entries) + 1, "first_bad": None}
    # nobody but an auditor reads the log
    result = admin.cli("audit", "log", check=False)
    assert result.returncode == 4 and "read the audit log" in result.stderr


def _tamper(home: Path, how: str) -> None:
    """Change the audit table behind cctrace's back, with plain SQL on either database."""
    engine = create_engine(Home.at(home, env={}).database_url)
    try:
        with engine.begin() as conn:
            _tamper_with(conn, how)
    finally:
        engine.dispose()


def _tamper_with(conn: Connection, how: str) -> None:
    def sql(statement: str, **params: object) -> Any:
        return conn.execute(text(statement), params)

    if how == "edit":
        sql("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    elif how == "delete":
        sql("DELETE FROM audit WHERE seq = 2")
    elif how == "insert":
        sql("UPDATE audit SET seq = seq + 100 WHERE seq >= 3")
        sql("UPDATE audit SET seq = seq - 99 WHERE seq >= 103")
        sql(
            "INSERT INTO audit (seq, at, actor, role, action, case_id, target, outcome, "
            "prev_hash, hash) SELECT 3, at, 'mallory', role, action, case_id, target, "
            "outcome, hash, hash FROM audit WHERE seq = 2"
        )
    elif how == "reorder":
        cols = ("at", "actor", "role", "action", "case_id", "target", "outcome", "prev_hash")
        rows = sql(
            f"SELECT {', '.join(cols)}, hash FROM audit WHERE seq IN (2, 3) ORDER BY seq"
        ).all()
        for seq, row in zip((3, 2), rows, strict=True):
            sets = ", ".join(f"{c} = :{c}" for c in (*cols, "hash"))
            sql(f"UPDATE audit SET {sets} WHERE seq = :seq", seq=seq, **row._asdict())
    elif how == "truncate":
        sql("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")


# Caught by the hashes alone, the same on either database.
CHAIN_ONLY = pytest.mark.sqlite_only("the chain's hashes catch it the same on PostgreSQL")


@pytest.mark.parametrize(
    ("how", "first_bad"),
    [
        pytest.param("edit", 3, marks=CHAIN_ONLY),
        pytest.param("delete", 2, marks=CHAIN_ONLY),
        ("insert", 3),
        pytest.param("reorder", 2, marks=CHAIN_ONLY),
        ("truncate", None),  # caught by the anchor: on PostgreSQL, its row
    ],
)
def test_every_kind_of_tampering_is_caught(
    audited: tuple[Env, Env], tmp_path: Path, how: str, first_bad: int | None, backend: Backend
) -> None:
    _, auditor = audited
    # Verify a copy, so that verification's own audit entry lands after the tampering.
    copy = tmp_path / "copy"
    copied_db = clone_home(backend, auditor.home, copy)
    _tamper(copy, how)
    result = Env(copy, auditor.token).cli("audit", "verify", "--json", check=False)
    assert result.returncode == 1, result.stdout
    assert "tampered" in result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    if first_bad is not None:
        assert report["first_bad"] == first_bad
    else:
        assert report["first_bad"] is not None
    backend.drop(copied_db)
