"""`cctrace appearance match`: its JSON contract, table and input errors, on real crops."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from cctrace.cli import app

runner = CliRunner()

# Person boxes in the shared video, checked by eye (see tests/vision/test_appearance.py).
BOXES = {
    80: ("a_80", (377, 18, 523, 395)),
    100: ("a_100", (382, 10, 516, 385)),
    300: ("b_300", (380, 4, 544, 380)),
    550: ("c_550", (396, 0, 556, 390)),
    775: ("d_775", (364, 36, 506, 376)),
}


@pytest.fixture(scope="module")
def folders(shared_video: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """query/: A (frame 80) through a warmer camera, as PNG; gallery/: A (frame 100), B, C,
    D as JPEG, plus a text file that is no image."""
    root = tmp_path_factory.mktemp("appearance")
    query, gallery = root / "query", root / "gallery"
    query.mkdir()
    gallery.mkdir()
    with av.open(str(shared_video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in BOXES:
                name, (x1, y1, x2, y2) = BOXES[index]
                crop = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)[y1:y2, x1:x2]
                if index == 80:
                    warm = np.clip(crop.astype(np.float32) * [0.8, 0.95, 1.15], 0, 255)
                    cv2.imwrite(str(query / f"{name}.png"), warm.astype(np.uint8))
                else:
                    cv2.imwrite(str(gallery / f"{name}.jpg"), crop)
            if index >= max(BOXES):
                break
    (gallery / "notes.txt").write_text("not an image")
    return query, gallery


def test_json_contract_ranks_the_same_person_first(folders: tuple[Path, Path]) -> None:
    query, gallery = folders
    result = runner.invoke(app, ["appearance", "match", str(query), str(gallery), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == ["queries"]
    (q,) = out["queries"]
    assert q["path"] == str(query / "a_80.png")
    # Default K is 10; the gallery holds 4 images (the text file is not one).
    assert [set(r) for r in q["ranked"]] == [{"path", "similarity"}] * 4
    assert q["ranked"][0]["path"] == str(gallery / "a_100.jpg")
    sims = [r["similarity"] for r in q["ranked"]]
    assert sims == sorted(sims, reverse=True)
    assert {r["path"] for r in q["ranked"]} == {
        str(gallery / f"{n}.jpg") for n in ("a_100", "b_300", "c_550", "d_775")
    }

    top2 = runner.invoke(
        app, ["appearance", "match", str(query), str(gallery), "--top", "2", "--json"]
    )
    assert top2.exit_code == 0, top2.output
    assert json.loads(top2.stdout)["queries"][0]["ranked"] == q["ranked"][:2]


def test_table_fits_80_columns(folders: tuple[Path, Path]) -> None:
    query, gallery = folders
    result = runner.invoke(app, ["appearance", "match", str(query), str(gallery), "--top", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "a_80.png" in result.stdout and "a_100.jpg" in result.stdout
    table = [line for line in lines if "│" in line or "┃" in line]
    assert len(table) >= 4 and all(len(line) <= 80 for line in table)
    for word in ("None", "nan", "True", "False"):
        assert word not in result.stdout


def test_unreadable_image_is_named_with_exit_2(folders: tuple[Path, Path], tmp_path: Path) -> None:
    query, _ = folders
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    (gallery / "ok.jpg").write_bytes((folders[1] / "b_300.jpg").read_bytes())
    (gallery / "broken.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    result = runner.invoke(app, ["appearance", "match", str(query), str(gallery), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(gallery / "broken.jpg") in result.stderr and "not a readable image" in result.stderr


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: None, "no such folder"),
        (lambda p: p.mkdir(), "no jpg or png images"),
        (lambda p: p.write_text("x"), "not a folder"),
    ],
)
def test_missing_or_empty_folder_is_exit_2(
    folders: tuple[Path, Path], tmp_path: Path, make: object, words: str
) -> None:
    query, _ = folders
    gallery = tmp_path / "g"
    assert callable(make)
    make(gallery)
    result = runner.invoke(app, ["appearance", "match", str(query), str(gallery)])
    assert result.exit_code == 2
    assert f"gallery folder {gallery}" in result.stderr and words in result.stderr


def test_top_below_one_is_refused(folders: tuple[Path, Path]) -> None:
    query, gallery = folders
    result = runner.invoke(app, ["appearance", "match", str(query), str(gallery), "--top", "0"])
    assert result.exit_code == 2
    assert "--top must be at least 1" in result.stderr
