"""Closing a case destroys what was derived for it and keeps only a summary and the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cctrace.privacy.exports import case_export_lock
from cctrace.store.home import Home
from cctrace.store.records import CaseExport, CaseRecord, CaseReference
from cctrace.store.repository import Store
from tests.cases import approve
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
        approve(store, CASE)


def test_closing_a_case_leaves_no_reference_bytes_and_it_cannot_be_traced(env: Env) -> None:
    inv = Env(env.home, env.json("users", "add", "dr-kim", "--role", "investigator")["token"])
    other = Env(env.home, env.json("users", "add", "dr-ng", "--role", "investigator")["token"])
    _open_case(env, inv.token)
    traced = inv.json("trace", CASE, "--policy", "who-2020")  # the real producer of the run
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
    assert summary["last_trace"] == {
        "at": summary["last_trace"]["at"],
        "trace_id": traced["trace_id"],
        "policy": "who-2020",
        "stays": len(traced["route"]),
        "contacts": len(traced["contacts"]),
    }
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
    assert [e.outcome for e in closes if e.outcome.startswith("closed")] == [
        "closed: 2 reference embeddings, 1 trace results, 1 export files destroyed",
        "closed: 0 reference embeddings, 0 trace results, 0 export files destroyed",
    ]
    assert any(e.outcome == "refused: not the owner" for e in closes)


def _record_export(env: Env, folder: Path, export_id: str, manifest_case: str = CASE) -> None:
    """An export as `cctrace evidence` leaves it: recorded, files, a manifest naming it."""
    folder.mkdir(parents=True)
    (folder / "stay-001-cam_lobby-f01.jpg").write_bytes(b"\xff\xd8 frame")
    (folder / "listed-by-manifest.bin").write_bytes(b"clip")
    manifest = {
        "case_id": manifest_case,
        "export_id": export_id,
        "files": [{"file": "listed-by-manifest.bin"}, {"file": "../escape.txt"}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with Store.open(Home.at(env.home, env={})) as store:
        store.add_case_export(CaseExport(export_id, CASE, str(folder)))


def test_closing_destroys_only_what_is_provably_an_export_of_the_case(
    env: Env, tmp_path: Path
) -> None:
    inv = Env(env.home, env.json("users", "add", "dr-kim", "--role", "investigator")["token"])
    _open_case(env, inv.token)
    mine = tmp_path / "mine"
    _record_export(env, mine, "ex-0000000000000001")
    (mine / "notes.txt").write_text("the investigator's own file")
    (tmp_path / "escape.txt").write_text("outside the export")
    linked_target = tmp_path / "elsewhere"
    _record_export(env, linked_target, "ex-0000000000000002")
    linked = tmp_path / "linked"
    linked.symlink_to(linked_target)
    with Store.open(Home.at(env.home, env={})) as store:
        store.add_case_export(CaseExport("ex-0000000000000003", CASE, str(linked)))

    # An export being written holds the case: closing waits for it (refused, audited).
    with Store.open(Home.at(env.home, env={})) as store:
        lock = case_export_lock(store.home, CASE, exclusive=False)
    with lock:
        busy = inv.cli("case", "close", CASE, check=False)
    assert busy.returncode == 2 and "being written" in busy.stderr

    out = inv.json("case", "close", CASE)
    # The recorded folder: our files gone (listed or named like export files), the
    # investigator's own file and the folder kept; nothing outside it touched.
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    assert (tmp_path / "escape.txt").exists()
    # Its target recorded elsewhere under its own id is ours; the link's id is not.
    assert not linked_target.exists() and linked.is_symlink()
    assert out["exports_destroyed"] == 2 and out["exports_already_gone"] == 0
    assert out["exports_left_alone"] == [str(linked)]
    assert out["export_files_destroyed"] == 6
    with Store.open(Home.at(env.home, env={})) as store:
        outcomes = {e.export_id: e.outcome for e in store.case_exports(CASE)}
        closes = [e.outcome for e in store.audit_entries(CASE) if e.action == "close_case"]
    assert outcomes == {
        "ex-0000000000000001": "destroyed",
        "ex-0000000000000002": "destroyed",
        "ex-0000000000000003": None,
    }
    assert "refused: an export is being written" in closes
    assert not (env.home / "exports" / f".{CASE}.lock").exists()
