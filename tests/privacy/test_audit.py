"""The audit log: every action and refusal is logged, and any tampering is caught."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

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


def _tamper(db: Path, how: str) -> None:
    with sqlite3.connect(db) as conn:
        if how == "edit":
            conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
        elif how == "delete":
            conn.execute("DELETE FROM audit WHERE seq = 2")
        elif how == "insert":
            conn.execute("UPDATE audit SET seq = seq + 100 WHERE seq >= 3")
            conn.execute("UPDATE audit SET seq = seq - 99 WHERE seq >= 103")
            conn.execute(
                "INSERT INTO audit (seq, at, actor, role, action, case_id, target, outcome, "
                "prev_hash, hash) SELECT 3, at, 'mallory', role, action, case_id, target, "
                "outcome, hash, hash FROM audit WHERE seq = 2"
            )
        elif how == "reorder":
            rows = conn.execute(
                "SELECT at, actor, role, action, case_id, target, outcome, prev_hash, hash "
                "FROM audit WHERE seq IN (2, 3) ORDER BY seq"
            ).fetchall()
            for seq, row in zip((3, 2), rows, strict=True):
                conn.execute(
                    "UPDATE audit SET at=?, actor=?, role=?, action=?, case_id=?, target=?, "
                    "outcome=?, prev_hash=?, hash=? WHERE seq=?",
                    (*row, seq),
                )
        elif how == "truncate":
            conn.execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")


@pytest.mark.parametrize(
    ("how", "first_bad"),
    [("edit", 3), ("delete", 2), ("insert", 3), ("reorder", 2), ("truncate", None)],
)
def test_every_kind_of_tampering_is_caught(
    audited: tuple[Env, Env], tmp_path: Path, how: str, first_bad: int | None
) -> None:
    _, auditor = audited
    # Verify a copy, so that verification's own audit entry lands after the tampering.
    copy = tmp_path / "copy"
    shutil.copytree(auditor.home, copy)
    _tamper(copy / "cctrace.db", how)
    result = Env(copy, auditor.token).cli("audit", "verify", "--json", check=False)
    assert result.returncode == 1, result.stdout
    assert "tampered" in result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    if first_bad is not None:
        assert report["first_bad"] == first_bad
    else:
        assert report["first_bad"] is not None
