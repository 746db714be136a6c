"""Cameras through the CLI: add with calibration, CSV and GeoJSON import, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.ingest.conftest import Env, new_env

CALIBRATION = {
    "points": [
        {"image": [444.5, 859.5], "floor": [0.0, 0.0]},
        {"image": [1475.5, 859.5], "floor": [4.0, 0.0]},
        {"image": [1191.5, 390.0], "floor": [4.0, 6.0]},
        {"image": [728.5, 390.0], "floor": [0.0, 6.0]},
        {"image": [960.0, 571.5], "floor": [2.0, 2.5]},
    ],
    "image_size": [1920, 1080],
}


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return new_env(tmp_path)


def test_add_with_calibration_reports_its_error(env: Env, tmp_path: Path) -> None:
    cal = tmp_path / "gate.json"
    cal.write_text(json.dumps(CALIBRATION))
    out = env.json(
        "cameras",
        "add",
        "gate",
        "--name",
        "Main gate",
        "--site",
        "station",
        "--lat",
        "37.5665",
        "--lon",
        "126.978",
        "--calibration",
        str(cal),
    )
    assert out["calibrated"] is True
    assert 0 <= out["reprojection_error_m"] < 0.5
    assert out["floor_frame"] is None  # its positions are compared only with its own
    listed = env.json("cameras", "list")["cameras"]
    assert {c["id"] for c in listed} == {"gate", "lobby"}
    # A second camera of the same concourse names the plan its points were measured on.
    hall = tmp_path / "hall.json"
    hall.write_text(json.dumps({**CALIBRATION, "floor_frame": "station/concourse"}))
    out = env.json("cameras", "add", "hall", "--name", "Hall", "--calibration", str(hall))
    assert out["floor_frame"] == "station/concourse"
    listed = {c["id"]: c for c in env.json("cameras", "list")["cameras"]}
    assert listed["hall"]["floor_frame"] == "station/concourse"
    assert listed["gate"]["floor_frame"] is None


def test_degenerate_calibration_is_refused_and_nothing_added(env: Env, tmp_path: Path) -> None:
    bad = dict(CALIBRATION)
    bad["points"] = [{"image": [100.0 * i, 100.0 * i], "floor": [float(i), 0.0]} for i in range(5)]
    cal = tmp_path / "line.json"
    cal.write_text(json.dumps(bad))
    before = env.db_dump()
    result = env.cli(
        "cameras", "add", "gate", "--name", "Gate", "--calibration", str(cal), check=False
    )
    assert result.returncode == 2
    assert "line.json" in result.stderr and "on one line" in result.stderr
    assert env.db_dump() == before


def test_csv_import_all_or_nothing(env: Env, tmp_path: Path) -> None:
    good = tmp_path / "cams.csv"
    good.write_text("id,name,site,x_m,y_m\ncafe-1,Cafe door,cafe,10,5\ncafe-2,Cafe bar,cafe,14,5\n")
    out = env.json("cameras", "import", str(good))
    assert [c["id"] for c in out["cameras"]] == ["cafe-1", "cafe-2"]
    before = env.db_dump()
    bad = tmp_path / "more.csv"
    bad.write_text("id,name,x_m,y_m\nshop-1,Shop,1,2\nshop-2,Shop back,abc,2\n")
    result = env.cli("cameras", "import", str(bad), check=False)
    assert result.returncode == 2
    assert "more.csv:3" in result.stderr and "not a number" in result.stderr
    assert env.db_dump() == before  # shop-1 was not added either
    dup = tmp_path / "dup.csv"
    dup.write_text("id,name\ncafe-1,Again\n")
    result = env.cli("cameras", "import", str(dup), check=False)
    assert result.returncode == 2 and "already exists" in result.stderr


def test_geojson_import(env: Env, tmp_path: Path) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [126.97, 37.56]},
                "properties": {"id": "plaza-n", "name": "Plaza north", "site": "plaza"},
            },
        ],
    }
    path = tmp_path / "cams.geojson"
    path.write_text(json.dumps(doc))
    [cam] = env.json("cameras", "import", str(path))["cameras"]
    assert (cam["lat"], cam["lon"], cam["site"]) == (37.56, 126.97, "plaza")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("{not json", "x.geojson", "not valid JSON"),
        ('{"type": "Feature"}', "x.geojson", "FeatureCollection"),
        ("name,site\nA,B\n", "x.csv", "header must have id,name"),
        ("id,name\n../../etc,Bad\n", "x.csv", "not allowed"),
        ("id,name\n", "x.csv", "lists no camera"),
        ("id,name\n", "x.txt", "unknown camera list type"),
    ],
)
def test_bad_camera_files_exit_2(
    env: Env, tmp_path: Path, content: str, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = env.cli("cameras", "import", str(path), check=False)
    assert result.returncode == 2
    assert message in result.stderr and name in result.stderr


def test_a_camera_is_recalibrated_and_a_bad_file_changes_nothing(env: Env, tmp_path: Path) -> None:
    cal = tmp_path / "lobby.json"
    cal.write_text(json.dumps(CALIBRATION))
    out = env.json("cameras", "calibrate", "lobby", str(cal))
    assert out["id"] == "lobby" and out["calibrated"] is True
    assert 0 <= out["reprojection_error_m"] < 0.5
    three = tmp_path / "three.json"
    points = CALIBRATION["points"]
    assert isinstance(points, list)
    three.write_text(json.dumps({"points": points[:3]}))
    before = env.db_dump()
    result = env.cli("cameras", "calibrate", "lobby", str(three), check=False)
    assert result.returncode == 2 and "three.json" in result.stderr
    assert env.db_dump() == before


def test_a_site_plan_is_stored_and_a_bad_image_is_named(env: Env, tmp_path: Path) -> None:
    env.json(
        "cameras", "add", "hall", "--name", "Hall", "--site", "station", "--x-m", "3", "--y-m", "4"
    )
    plan = tmp_path / "station-plan.png"
    assert cv2.imwrite(str(plan), np.full((200, 300, 3), 240, np.uint8))
    out = env.json("cameras", "plan", "station", str(plan), "--metres-per-px", "0.05")
    assert (out["site"], out["width_px"], out["height_px"]) == ("station", 300, 200)
    assert out["origin_y_px"] == 200.0  # 0 m at the bottom row unless told otherwise
    notes = tmp_path / "notes.png"
    notes.write_text("not a plan")
    before = env.db_dump()
    result = env.cli(
        "cameras", "plan", "station", str(notes), "--metres-per-px", "0.05", check=False
    )
    assert result.returncode == 2 and "notes.png is not a PNG or JPEG" in result.stderr
    assert env.db_dump() == before
