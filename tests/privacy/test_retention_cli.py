"""Retention, purge and key rotation through the CLI: roles, JSON contracts, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from cctrace.store.home import Home
from cctrace.store.records import VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from tests.ingest.conftest import Env
from tests.store.bytescan import blobs, found, tail
from tests.store.conftest import make_sighting

OLD = (datetime.now(UTC) - timedelta(days=45)).timestamp()
RECENT = (datetime.now(UTC) - timedelta(days=2)).timestamp()


def _populate(env: Env) -> None:
    """Three sightings 45 days old and three 2 days old on the lobby camera, indexed."""
    with Store.open(Home.at(env.home, env={})) as store:
        index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
        for n, (vid, t0) in enumerate((("a" * 64, OLD), ("b" * 64, RECENT))):
            store.begin_video(
                VideoRecord(
                    video_id=vid,
                    camera_id="lobby",
                    path=f"/footage/{n}.mp4",
                    start_utc=datetime.fromtimestamp(t0, UTC),
                    duration_s=60.0,
                    fps=25.0,
                    width=640,
                    height=480,
                )
            )
            sightings = [
                make_sighting(10 * n + i, t0 + 5 * i, video_id=vid, camera_id="lobby")
                for i in range(3)
            ]
            store.commit_checkpoint(vid, sightings, t0 + 30, 3, 3)
            vectors = np.stack(
                [s.face_embedding for s in sightings if s.face_embedding is not None]
            )
            index.add(utc_day(t0), [s.sighting_id for s in sightings], vectors)


def _investigator(env: Env) -> Env:
    return Env(env.home, env.json("users", "add", "dr-lee", "--role", "investigator")["token"])


@pytest.mark.sqlite_only("settings are covered on PostgreSQL by tests/store")
def test_retention_show_and_set_are_admin_only_and_audited(env: Env) -> None:
    assert env.json("retention", "show") == {"retention_days": 30, "default": True}
    assert env.json("retention", "set", "14") == {"retention_days": 14, "default": False}
    assert env.json("retention", "show") == {"retention_days": 14, "default": False}
    bad = env.cli("retention", "set", "0", check=False)
    assert bad.returncode == 2 and "from 1 to 3650, got 0" in bad.stderr
    refused = _investigator(env).cli("retention", "set", "90", check=False)
    assert refused.returncode == 4 and "purge biometric data or change retention" in refused.stderr
    assert env.json("retention", "show")["retention_days"] == 14
    with Store.open(Home.at(env.home, env={})) as store:
        logged = [(e.actor, e.action, e.target) for e in store.audit_entries()]
    assert ("admin", "retention_set", "30 days -> 14 days") in logged


def test_purge_cli_dry_run_then_purge(env: Env) -> None:
    _populate(env)
    db = env.home / "cctrace.db"
    old_blobs = blobs(db, "SELECT id, thumbnail_enc FROM sightings WHERE video_id LIKE 'a%'")
    needles = {sid: tail(b) for sid, b in old_blobs}
    assert len(needles) == 3
    before = env.db_dump()

    dry = env.json("purge", "--dry-run")
    assert set(dry) == {
        "dry_run",
        "cutoff",
        "older_than_days",
        "everything",
        "sightings",
        "days_dropped",
        "days_rebuilt",
        "bytes_freed",
        "trace_results_destroyed",
        "cases_closed",
    }
    assert dry["dry_run"] and dry["sightings"] == 3 and dry["older_than_days"] == 30
    assert dry["days_dropped"] == [utc_day(OLD)]
    assert env.db_dump() == before

    refused = _investigator(env).cli("purge", check=False)
    assert refused.returncode == 4
    bad = env.cli("purge", "--older-than", "-3", check=False)
    assert bad.returncode == 2 and "--older-than" in bad.stderr

    done = env.json("purge")
    assert not done["dry_run"] and done["sightings"] == 3
    assert done["days_dropped"] == [utc_day(OLD)] and done["bytes_freed"] > 0
    assert found(env.home, needles) == []
    assert env.json("purge")["sightings"] == 0  # nothing left to do: safe to run daily
    everything = env.json("purge", "--older-than", "0")
    assert everything["everything"] and everything["sightings"] == 3
    assert "purged 0 sightings (everything)" in env.cli("purge", "--older-than", "0").stdout
    with Store.open(Home.at(env.home, env={})) as store:
        assert store.count_sightings() == 0
        outcomes = [e.outcome for e in store.audit_entries() if e.action == "purge"]
    assert outcomes[0].startswith("dry run: would purge 3 sightings")
    assert outcomes[1].startswith("purged 3 sightings, 1 index days")


def test_keys_rotate_cli(env: Env) -> None:
    _populate(env)
    old_key = (env.home / "keys" / "master.key").read_bytes()
    sealed = blobs(env.home / "cctrace.db", "SELECT id, face_embedding_enc FROM sightings")
    old_sealed = {f"old face blob of {sid}": tail(b) for sid, b in sealed}
    assert len(found(env.home, old_sealed)) >= len(old_sealed)  # the scan sees them before
    refused = _investigator(env).cli("keys", "rotate", check=False)
    assert refused.returncode == 4 and "rotate the encryption key" in refused.stderr
    out = env.json("keys", "rotate")
    assert out["sightings_reencrypted"] == 6 and out["index_days_reencrypted"] == 2
    assert not out["resumed"] and len(out["old_key_ids"]) == 1
    assert (env.home / "keys" / "master.key").read_bytes() != old_key
    assert not (env.home / "keys" / "next.key").exists()
    with Store.open(Home.at(env.home, env={})) as store:
        assert set(store.key_ids_in_use()) == {out["new_key_id"]}
        assert len(list(store.sightings(with_biometrics=True))) == 6
        entry = [e for e in store.audit_entries() if e.action == "rotate_keys"][-1]
    assert entry.outcome.startswith("rotated: 6 sightings")
    # The replaced rows left the database's files (on PostgreSQL: VACUUM FULL).
    assert found(env.home, old_sealed) == []
