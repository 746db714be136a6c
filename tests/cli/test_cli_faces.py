"""The CLI's JSON contracts and exit codes, run through the real models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tests.masked import masked_face
from typer.testing import CliRunner

from cctrace.cli import app

runner = CliRunner()


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_faces_analyze_contract(astronaut_path: Path, faces_dir: Path) -> None:
    out = _json(["faces", "analyze", str(astronaut_path), str(faces_dir / "test" / "obama1.jpg")])
    assert [im["path"] for im in out["images"]] == [
        str(astronaut_path),
        str(faces_dir / "test" / "obama1.jpg"),
    ]
    astro = out["images"][0]
    assert (astro["width"], astro["height"]) == (512, 512)
    assert len(astro["faces"]) == 1
    face = astro["faces"][0]
    assert set(face) == {"box_xyxy", "score", "landmarks", "quality", "mask_probability"}
    assert len(face["box_xyxy"]) == 4 and len(face["landmarks"]) == 5
    assert all(len(p) == 2 for p in face["landmarks"])
    assert 0.0 <= face["quality"] <= 1.0
    assert face["mask_probability"] < 0.5  # the astronaut wears no mask


def test_faces_analyze_finds_a_small_masked_face(tmp_path: Path, faces_dir: Path) -> None:
    # YuNet alone misses this face (tests/vision/test_face_cascade.py); the cascade does not.
    frame, truth = masked_face(faces_dir)
    photo = tmp_path / "masked.png"
    assert cv2.imwrite(str(photo), frame)
    [im] = _json(["faces", "analyze", str(photo)])["images"]
    [face] = im["faces"]
    centre_x = (face["box_xyxy"][0] + face["box_xyxy"][2]) / 2
    assert abs(centre_x - (truth[0] + truth[2]) / 2) < 0.2 * (truth[2] - truth[0])
    assert face["mask_probability"] >= 0.5


def test_faces_compare_same_and_different(faces_dir: Path) -> None:
    same = _json(
        [
            "faces",
            "compare",
            str(faces_dir / "test" / "obama1.jpg"),
            str(faces_dir / "train" / "obama" / "obama2.jpg"),
        ]
    )
    assert set(same) == {"similarity", "same_person", "threshold"}
    assert same["same_person"] is True
    different = _json(
        [
            "faces",
            "compare",
            str(faces_dir / "test" / "obama1.jpg"),
            str(faces_dir / "train" / "rose_leslie" / "img1.jpg"),
        ]
    )
    assert different["same_person"] is False
    assert different["similarity"] < same["similarity"]


def test_faces_compare_without_face_exits_3(tmp_path: Path, faces_dir: Path) -> None:
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), 200, np.uint8))
    result = runner.invoke(
        app, ["faces", "compare", str(faces_dir / "test" / "obama1.jpg"), str(blank), "--json"]
    )
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "wall.png" in result.stderr and "no face" in result.stderr


def test_unreadable_input_exits_2_with_nothing_on_stdout(
    tmp_path: Path, astronaut_path: Path
) -> None:
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.4 not an image")
    for args in (
        ["faces", "analyze", str(astronaut_path), str(bad)],
        ["faces", "compare", str(bad), str(astronaut_path)],
        ["detect", str(astronaut_path), str(bad)],
        ["detect", str(tmp_path / "nope.mp4")],
    ):
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 2, args
        assert result.stdout == "", args
        assert ("report.pdf" in result.stderr) or ("nope.mp4" in result.stderr)


def test_detect_image_contract(grace_hopper_path: Path) -> None:
    out = _json(["detect", str(grace_hopper_path)])
    [im] = out["images"]
    assert im["path"] == str(grace_hopper_path) and im["frame"] is None
    assert len(im["persons"]) >= 1 and len(im["faces"]) == 1
    assert set(im["persons"][0]) == {"box_xyxy", "score"}
    # the face lies inside a person box
    fx1, fy1, fx2, fy2 = im["faces"][0]["box_xyxy"]
    cx, cy = (fx1 + fx2) / 2, (fy1 + fy2) / 2
    assert any(
        p["box_xyxy"][0] <= cx <= p["box_xyxy"][2] and p["box_xyxy"][1] <= cy <= p["box_xyxy"][3]
        for p in im["persons"]
    )


def test_detect_video_samples_frames_with_times(shared_video: Path) -> None:
    out = _json(["detect", str(shared_video), "--every-n-frames", "350"])
    frames = out["images"]
    assert [f["frame"] for f in frames] == [0, 350, 700, 1050]
    assert [f["t_s"] for f in frames] == [0.0, 35.0, 70.0, 105.0]
    assert all(f["path"] == str(shared_video) for f in frames)


def test_models_list_contract() -> None:
    out = _json(["models", "list"])
    names = {m["name"] for m in out["models"]}
    assert {"yunet", "sface", "nanodet", "mask", "appearance", "centerface"} <= names
    for m in out["models"]:
        assert {"name", "file", "sha256", "source", "licence"} <= set(m)
        assert m["status"] == "ok"


def test_models_list_names_the_person_runtime() -> None:
    assert _json(["models", "list"])["person_runtime"] == "openvino"
    result = runner.invoke(app, ["models", "list"], env={"CCTRACE_RUNTIME": "onnxruntime"})
    assert result.exit_code == 0, result.output
    assert "person detection runs on ONNX Runtime, float32" in result.stdout
    result = runner.invoke(app, ["models", "list"], env={"CCTRACE_RUNTIME": "cuda"})
    assert result.exit_code == 2
    assert "CCTRACE_RUNTIME='cuda' is not a runtime" in result.stderr


def test_models_check_names_missing_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "check"], env={"CCTRACE_MODELS": str(tmp_path)})
    assert result.exit_code == 5
    assert "face_detection_yunet_2023mar.onnx" in result.stderr
    assert "make models" in result.stderr
