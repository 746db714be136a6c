"""Closing a case destroys what was derived for it and keeps only a summary and the log."""

from __future__ import annotations

from datetime import UTC, datetime

from cctrace.store.home import Home
from cctrace.store.records import CaseRecord, CaseReference
from cctrace.store.repository import Store
from tests.ingest.conftest import Env
from tests.store.bytescan import blobs, found, tail
from tests.store.conftest import embedding

CASE = "case-0123456789ab"
T0 = datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp()


def _open_case(env: Env, token: str) -> None:
    """A case with two reference faces, opened directly in the store (no photo models)."""
    with Store.open(Home.at(env.home, env={})) as store:
        owner = store.authenticate(token)
        case = CaseRecord(
            case_id=CASE,
            owner_id=owner.user_id,
            label="TB-2026-007",
            consent_given_by="the patient",
            consent_date=datetime(2026, 11, 21, tzinfo=UTC),
            consent_sha256="c" * 64,
            t_from_s=T0,
            t_to_s=T0 + 86_400,
            site="clinic",
            camera_ids=("lobby",),
        )
        refs = [
            CaseReference("a" * 64, 0.8, embedding(1)),
            CaseReference("b" * 64, 0.7, embedding(2)),
        ]
        store.create_case(case, refs)
        store.audit(
            owner.name, owner.role, "trace", "done", CASE, "policy kdca-2022; 4 stays, 2 contacts"
        )


def test_closing_a_case_leaves_no_reference_bytes_and_it_cannot_be_traced(env: Env) -> None:
    inv = Env(env.home, env.json("users", "add", "dr-kim", "--role", "investigator")["token"])
    other = Env(env.home, env.json("users", "add", "dr-ng", "--role", "investigator")["token"])
    _open_case(env, inv.token)
    report = env.home / "exports" / CASE / "report.html"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"<html>route of the patient: unique-export-marker</html>")
    needles = {
        f"reference {rid}": tail(blob)
        for rid, blob in blobs(
            env.home / "cctrace.db", "SELECT id, embedding_enc FROM case_references"
        )
    }
    needles["reference plaintext"] = embedding(1).astype("<f4").tobytes()[:32]
    needles["export"] = b"unique-export-marker"
    assert len(found(env.home, needles)) >= 3  # the scan sees them before

    # Only the owner closes; admins never.
    refused = other.cli("case", "close", CASE, check=False)
    assert refused.returncode == 4 and "belongs to another investigator" in refused.stderr
    assert env.cli("case", "close", CASE, check=False).returncode == 4
    unknown = inv.cli("case", "close", "case-nope", check=False)
    assert unknown.returncode == 2 and "case-nope" in unknown.stderr

    out = inv.json("case", "close", CASE)
    assert out["status"] == "closed" and not out["already_closed"]
    assert out["references_destroyed"] == 2 and out["export_files_destroyed"] == 1
    summary = out["summary"]
    assert summary["consent_sha256"] == "c" * 64 and summary["reference_faces"] == 2
    assert summary["traces"] == 1
    assert summary["last_trace"]["stays"] == 4 and summary["last_trace"]["contacts"] == 2
    assert found(env.home, needles) == []
    assert not (env.home / "exports" / CASE).exists()

    traced = inv.cli("trace", CASE, check=False)
    assert traced.returncode == 2
    assert f"case {CASE} is closed" in traced.stderr and "open a new case" in traced.stderr

    again = inv.json("case", "close", CASE)  # idempotent: finishes leftovers, same summary
    assert again["already_closed"] and again["summary"] == summary
    with Store.open(Home.at(env.home, env={})) as store:
        assert store.case_references(CASE) == []
        case = store.get_case(CASE)
        assert case is not None and case.status == "closed"
        closes = [e for e in store.audit_entries(CASE) if e.action == "close_case"]
    assert [e.outcome for e in closes][-2:] == [
        "closed: 2 reference embeddings, 1 export files destroyed",
        "closed: 0 reference embeddings, 0 export files destroyed",
    ]
    assert any(e.outcome == "refused: not the owner" for e in closes)
