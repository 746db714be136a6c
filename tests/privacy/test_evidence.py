"""Evidence exports end to end: a rendered camera, real models, a consented case.

The patient (the astronaut) meets the friend (Grace Hopper) at the café while others
chat and pass by. Every exported image must show no face but the patient's (or the one
unblurred contact's), in every frame, even where the face detector misses a face.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.core.types import FloatArray, ImageBGR
from cctrace.privacy.redact import pad_boxes
from cctrace.sim.render import (
    CameraRenderer,
    DemoScenario,
    FigureTruth,
    Recording,
    calibration_points,
    make_demo_scenario,
    render_video,
)
from cctrace.video.frames import iter_frames
from cctrace.vision.faces import YuNetFaceDetector
from tests.ingest.conftest import Env, new_env

CAMERA = "cam-b"
SPAN_S = (92.0, 101.0)
"""Scenario seconds rendered: the patient walks up to the friend and stands with her."""


@dataclass(frozen=True)
class Scene:
    scenario: DemoScenario
    video: Path
    investigator: Env
    admin: Env
    case_id: str
    trace: dict[str, Any]
    root: Path

    def truth_at(self, t_utc: float) -> list[FigureTruth]:
        """What was drawn at a UTC time (the nearest rendered frame)."""
        t = t_utc - self.scenario.start_utc.timestamp()
        i = round((t - SPAN_S[0]) * self.scenario.fps)
        t = SPAN_S[0] + i / self.scenario.fps
        return list(_renderer(self.scenario).render(t, i, with_truth=True).figures)


_RENDERERS: dict[int, CameraRenderer] = {}


def _renderer(scenario: DemoScenario) -> CameraRenderer:
    key = id(scenario)
    if key not in _RENDERERS:
        _RENDERERS[key] = CameraRenderer(scenario, CAMERA)
    return _RENDERERS[key]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, astronaut_path: Path) -> Scene:
    root = tmp_path_factory.mktemp("evidence")
    scenario = make_demo_scenario(seed=7)
    # Zoomed in (the demo's café camera at 1024 px, 40 degrees): faces of about 25 px,
    # wide enough for the index to embed them, so one short video makes a case.
    camera = dataclasses.replace(
        scenario.camera(CAMERA), hfov_deg=40.0, tilt_deg=19.0, width_px=1024, height_px=576
    )
    scenario = dataclasses.replace(
        scenario,
        cameras=(camera,),
        recordings=(Recording(CAMERA, *SPAN_S),),
    )
    rendered = render_video(scenario, CAMERA, root / "footage" / f"{CAMERA}.mp4")
    admin = new_env(root)
    calibration = root / "cam-b-calibration.json"
    calibration.write_text(json.dumps(calibration_points(scenario.camera(CAMERA)).to_json()))
    admin.cli(
        "cameras",
        "add",
        CAMERA,
        "--name",
        "Market Square café",
        "--site",
        "market",
        "--x-m",
        "60",
        "--y-m",
        "0",
        "--calibration",
        str(calibration),
    )
    start = rendered.start_utc.isoformat()
    admin.cli("ingest", str(rendered.path), "--camera", CAMERA, "--start", start)
    inv = Env(admin.home, admin.json("users", "add", "dr-kim", "--role", "investigator")["token"])
    consent = root / "consent.pdf"
    consent.write_bytes(b"%PDF-1.4 signed consent form scan")
    day = rendered.start_utc.date().isoformat()
    case = inv.json(
        "case",
        "open",
        "--patient-photo",
        str(astronaut_path),
        "--consent-file",
        str(consent),
        "--consent-given-by",
        "the patient",
        "--consent-date",
        day,
        "--from",
        f"{day}T00:00:00Z",
        "--to",
        f"{day}T23:59:00Z",
        "--label",
        "evidence-test",
    )["case_id"]
    trace = inv.json("trace", case)
    return Scene(scenario, rendered.path, inv, admin, case, trace, root)


def _detail(image: ImageBGR, box: FloatArray) -> float:
    """Mean absolute Laplacian inside a box: fine detail, gone after pixelation."""
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    grey = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[1:-1, 1:-1].mean())


def _inside(point: NDArray[np.float32], box: FloatArray, pad: float = 0.0) -> bool:
    return bool(
        box[0] - pad <= point[0] <= box[2] + pad and box[1] - pad <= point[1] <= box[3] + pad
    )


def _utc(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def _exported_images(out: Path) -> Iterator[tuple[str, float, ImageBGR]]:
    """Every exported image: (file, UTC time, pixels), JPEG frames and clip frames."""
    manifest = json.loads((out / "manifest.json").read_text())
    for f in manifest["files"]:
        if f["media"] == "frame":
            image = cv2.imread(str(out / f["file"]))
            assert image is not None
            yield f["file"], _utc(f["t_start_utc"]), np.asarray(image, np.uint8)
        else:
            t0 = _utc(f["t_start_utc"])
            frames = list(iter_frames(out / f["file"]))
            assert len(frames) == f["frames"]
            for fr in frames:
                yield f["file"], t0 + fr.t_s, fr.image_bgr


def _original(scene: Scene) -> dict[float, ImageBGR]:
    start = scene.scenario.start_utc.timestamp() + SPAN_S[0]
    return {round(start + f.t_s, 3): f.image_bgr for f in iter_frames(scene.video)}


def _face(truths: list[FigureTruth], person: str) -> FloatArray | None:
    t = next((f for f in truths if f.person_id == person), None)
    return None if t is None or t.face_box_xyxy is None else np.asarray(t.face_box_xyxy, np.float32)


def _check_redacted(scene: Scene, out: Path, clear: set[str]) -> dict[str, int]:
    """Every exported image: the detector finds no face but those of ``clear``, and every
    other visible face's fine detail is gone. Counts of what was checked."""
    detector = YuNetFaceDetector(score_threshold=0.5)
    original = _original(scene)
    seen = {"images": 0, "clear_faces_found": 0, "hidden_faces_checked": 0}
    for name, t, image in _exported_images(out):
        seen["images"] += 1
        truths = scene.truth_at(t)
        clear_boxes = [b for p in clear if (b := _face(truths, p)) is not None]
        for box in detector.detect(image).box_xyxy:
            centre = (box[:2] + box[2:]) / 2
            assert any(_inside(centre, c, pad=6) for c in clear_boxes), (
                f"{name} at {t}: a face at {box.tolist()} outside {sorted(clear)}"
            )
            seen["clear_faces_found"] += 1
        before = original[min(original, key=lambda k: abs(k - t))]
        for fig in truths:
            if fig.person_id in clear or fig.face_box_xyxy is None or fig.face_width_px < 8:
                continue
            box = np.clip(np.asarray(fig.face_box_xyxy, np.float32), 0, [1023, 575, 1023, 575])
            if box[2] - box[0] < 6 or box[3] - box[1] < 6:
                continue
            ratio = _detail(image, box) / max(_detail(before, box), 1e-6)
            assert ratio < 0.35, f"{name} at {t}: {fig.person_id}'s face keeps detail ({ratio:.2f})"
            seen["hidden_faces_checked"] += 1
    return seen


NAME_RE = re.compile(
    r"^(?:(?:stay|encounter)-\d{3}-cam_[A-Za-z0-9_-]+(?:-f\d{2}\.jpg|\.mp4)|manifest\.json)$"
)


def test_export_shows_the_patient_and_no_other_face(scene: Scene) -> None:
    out = scene.root / "export-all"
    result = scene.investigator.cli(
        "evidence", scene.case_id, "--out", str(out), "--clips", "--json"
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"case_id", "out", "frames", "clips", "blurred_faces", "unblurred_contact"}
    assert doc["case_id"] == scene.case_id and doc["unblurred_contact"] is None
    n_items = len(scene.trace["route"]) + sum(len(c["encounters"]) for c in scene.trace["contacts"])
    assert doc["clips"] == n_items and doc["frames"] >= n_items and doc["blurred_faces"] > 0
    names = sorted(p.name for p in out.iterdir())
    assert all(NAME_RE.match(n) for n in names), names
    text = " ".join(names) + (out / "manifest.json").read_text()
    for personal in ("patient", "friend", "astronaut", "hopper", "dr-kim", "evidence-test"):
        assert personal not in text.lower().replace("the patient", "")
    assert "embedding" not in text and "thumbnail" not in text
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]
    seen = _check_redacted(scene, out, clear={"patient"})
    assert seen["clear_faces_found"] > 0, "the patient's face should be visible"
    assert seen["hidden_faces_checked"] >= seen["images"], seen


class BlindedDetector:
    """The real face detector, blind to the friend's face in a window of frames (as if it
    missed it): the face is painted over in the detector's input only."""

    def __init__(self, scene: Scene, blind_utc: tuple[float, float]) -> None:
        self.scene, self.blind = scene, blind_utc
        self.detector = YuNetFaceDetector(score_threshold=0.5)
        self.times = {
            hashlib.sha1(img.tobytes()).hexdigest(): t for t, img in _original(scene).items()
        }
        self.blinded = 0

    def __call__(self, image: ImageBGR) -> FloatArray:
        t = self.times[hashlib.sha1(image.tobytes()).hexdigest()]
        if self.blind[0] <= t <= self.blind[1]:
            box = _face(self.scene.truth_at(t), "friend")
            assert box is not None
            x1, y1, x2, y2 = (int(v) for v in pad_boxes(box[None], 0.3)[0])
            image = image.copy()
            image[max(y1, 0) : y2, max(x1, 0) : x2] = 128
            faces = self.detector.detect(image).box_xyxy
            assert not any(_inside((f[:2] + f[2:]) / 2, box, 4) for f in faces)
            self.blinded += 1
            return faces
        return self.detector.detect(image).box_xyxy


def test_no_flicker_when_the_detector_misses_a_face_for_a_while(scene: Scene) -> None:
    from cctrace.config import get_policy
    from cctrace.report.evidence import EvidenceOptions, staged, write_evidence
    from cctrace.store.home import Home
    from cctrace.store.repository import Store
    from cctrace.store.vector_index import FlatFaceIndex
    from cctrace.trace.cases import case_query
    from cctrace.trace.engine import trace_cases

    t0 = scene.scenario.start_utc.timestamp() + SPAN_S[0]
    blind = (t0 + 4.0, t0 + 6.0)  # 2 s: far longer than the detector-based dilation
    detect = BlindedDetector(scene, blind)
    out = scene.root / "export-flicker"
    with Store.open(Home.at(scene.investigator.home, env={})) as store:
        user = store.authenticate(scene.investigator.token)
        index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
        [result] = trace_cases(
            store, index, [case_query(store, user, scene.case_id)], get_policy("kdca-2022")
        )
        options = EvidenceOptions(frames_per_item=8, clips=True, clip_max_s=10.0)
        with staged(out) as tmp:
            write_evidence(store, result, tmp, detect, options)
    assert detect.blinded >= 10
    original = _original(scene)
    checked = 0
    for name, t, image in _exported_images(out):
        box = _face(scene.truth_at(t), "friend")
        if box is None:
            continue
        before = original[min(original, key=lambda k: abs(k - t))]
        ratio = _detail(image, box) / _detail(before, box)
        assert ratio < 0.35, f"{name} at {t - t0:.2f} s: the friend's face shows ({ratio:.2f})"
        checked += 1
    in_blind = [t for _, t, _ in _exported_images(out) if blind[0] <= t <= blind[1]]
    assert checked > 20 and len(in_blind) >= 10


def _friend_contact(scene: Scene) -> str:
    [contact] = [c for c in scene.trace["contacts"] if c["min_distance_m"] < 1.5]
    return str(contact["contact_id"])


def _audit(scene: Scene, action: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(scene.investigator.home / "cctrace.db") as conn:
        rows = conn.execute(
            "SELECT outcome, case_id, target FROM audit WHERE action = ? ORDER BY seq", (action,)
        )
        return [(str(o), str(c), str(t)) for o, c, t in rows]


def test_unblur_leaves_one_contact_clear_and_is_logged_with_its_reason(scene: Scene) -> None:
    contact = _friend_contact(scene)
    out = scene.root / "export-unblur"
    reason = "identify the contact for notification"
    doc = scene.investigator.json(
        "evidence", scene.case_id, "--out", str(out), "--unblur", contact, "--reason", reason
    )
    assert doc["unblurred_contact"] == contact and doc["clips"] == 0
    seen = _check_redacted(scene, out, clear={"patient", "friend"})
    detector = YuNetFaceDetector(score_threshold=0.5)
    friend_found = 0
    for _, t, image in _exported_images(out):
        box = _face(scene.truth_at(t), "friend")
        faces = detector.detect(image).box_xyxy
        friend_found += box is not None and any(_inside((f[:2] + f[2:]) / 2, box, 4) for f in faces)
    assert friend_found > 0 and seen["clear_faces_found"] > friend_found
    unblurs = _audit(scene, "unblur")
    assert ("unblurred", scene.case_id, f"contact {contact}; reason: {reason}") in unblurs
    exports = [e for e in _audit(scene, "export_evidence") if e[0] == "exported"]
    assert any(str(out) in target for _, _, target in exports)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_unblur_needs_a_reason(scene: Scene, reason: str | None) -> None:
    out = scene.root / "export-no-reason"
    args = ["evidence", scene.case_id, "--out", str(out), "--unblur", _friend_contact(scene)]
    result = scene.investigator.cli(
        *args, *([] if reason is None else ["--reason", reason]), check=False
    )
    assert result.returncode == 2 and "--reason" in result.stderr
    assert not out.exists()


def test_unknown_contact_and_unknown_case_exit_2_naming_them(scene: Scene) -> None:
    out = scene.root / "export-unknown"
    result = scene.investigator.cli(
        "evidence",
        scene.case_id,
        "--out",
        str(out),
        "--unblur",
        "c-0000000000000000",
        "--reason",
        "x",
        check=False,
    )
    assert result.returncode == 2 and "c-0000000000000000" in result.stderr
    result = scene.investigator.cli("evidence", "case-000000000000", "--out", str(out), check=False)
    assert result.returncode == 2 and "case-000000000000" in result.stderr
    assert not out.exists()
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize("role", ["admin", "auditor", "ingest", "other-investigator"])
def test_only_the_cases_investigator_may_export(scene: Scene, role: str) -> None:
    if role == "admin":
        env = scene.admin
    else:
        name = f"user-{role}"
        made = scene.admin.json("users", "add", name, "--role", role.removeprefix("other-"))
        env = Env(scene.admin.home, made["token"])
    out = scene.root / f"export-{role}"
    result = env.cli("evidence", scene.case_id, "--out", str(out), check=False)
    assert result.returncode == 4, result.stderr
    assert (
        "another investigator" if role.startswith("other") else "export evidence"
    ) in result.stderr
    assert not out.exists()


def test_a_non_empty_folder_is_refused_and_left_alone(scene: Scene) -> None:
    out = scene.root / "export-full"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = scene.investigator.cli("evidence", scene.case_id, "--out", str(out), check=False)
    assert result.returncode == 2 and "not empty" in result.stderr and str(out) in result.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]


def test_missing_footage_is_named_and_nothing_is_written(scene: Scene) -> None:
    moved = scene.video.with_name("moved.mp4")
    scene.video.rename(moved)
    try:
        out = scene.root / "export-missing"
        result = scene.investigator.cli("evidence", scene.case_id, "--out", str(out), check=False)
    finally:
        moved.rename(scene.video)
    assert result.returncode == 2 and str(scene.video) in result.stderr
    assert not out.exists()
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]
