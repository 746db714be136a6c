"""A manifest's bad rows are named by line, and nothing of the manifest is ingested."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.conftest import Env


def test_a_bad_manifest_row_is_named_and_nothing_is_ingested(
    env: Env, tmp_path: Path, clip: Path
) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,camera_id,start\n"
        f"{clip},lobby,\n"
        f"{tmp_path / 'missing.mp4'},lobby,\n"
        f"{clip},nowhere,\n"
        f"{clip},lobby,yesterday\n"
    )
    before = env.db_dump()
    result = env.cli("ingest", "--manifest", str(manifest), "--workers", "2", check=False)
    assert result.returncode == 2
    assert "line 3" in result.stderr and "missing.mp4" in result.stderr
    assert "line 4" in result.stderr and "nowhere" in result.stderr
    assert "line 5" in result.stderr and "yesterday" in result.stderr
    assert "line 2" not in result.stderr
    assert "nothing was ingested" in result.stderr
    assert env.db_dump() == before
