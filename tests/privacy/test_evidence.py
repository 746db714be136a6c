"""Evidence exports end to end: a rendered camera, real models, a consented case.

The patient (the astronaut) meets the friend (Grace Hopper) at the café while others
chat and pass by. Every exported image must show no face but the patient's (or the one
unblurred contact's), in every frame, even where the face detector misses a face.

Kept fast for the default run: the CLI runs in-process (the same command functions, exit
codes and messages, without a Python start per call), every user is made once, and the
redaction detector is loaded once and analyses each distinct decoded frame once (it is
deterministic, and the exports here decode the same frames again and again).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from typer.testing import CliRunner, Result

from cctrace.cli import app
from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.privacy.redact import pad_boxes
from cctrace.sim.render import (
    CameraRenderer,
    DemoScenario,
    FigureTruth,
    Recording,
    calibration_points,
    encode_h264,
    make_demo_scenario,
)
from cctrace.video.frames import iter_frames
from cctrace.vision.faces import YuNetFaceDetector
from tests.cases import DIAGNOSIS_REF, approve, write_consent

CAMERA = "cam-b"
SPAN_S = (92.0, 101.0)
"""Scenario seconds rendered: the patient walks up to the friend and stands with her."""


_runner = CliRunner()


@dataclass(frozen=True)
class Env:
    """One user of the data folder, running cctrace commands in-process."""

    home: Path
    token: str

    def cli(self, *args: str, check: bool = True) -> Result:
        result = _runner.invoke(
            app, list(args), env={"CCTRACE_HOME": str(self.home), "CCTRACE_TOKEN": self.token}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a crash, not an exit code: show its traceback
        if check and result.exit_code != 0:
            raise AssertionError(f"cctrace {' '.join(args)} failed: {result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)


@dataclass(frozen=True)
class Scene:
    scenario: DemoScenario
    video: Path
    investigator: Env
    admin: Env
    case_id: str
    trace: dict[str, Any]
    root: Path
    others: dict[str, Env] = field(default_factory=dict)
    """Users made once for the refusal tests: auditor, ingest, other-investigator."""

    def truth_at(self, t_utc: float) -> list[FigureTruth]:
        """What was drawn at a UTC time (the nearest rendered frame)."""
        t = t_utc - self.scenario.start_utc.timestamp()
        i = round((t - SPAN_S[0]) * self.scenario.fps)
        return list(_truth(self.scenario, i))


_TRUTHS: dict[tuple[int, int], tuple[FigureTruth, ...]] = {}
"""What each rendered frame shows, by (id of the scenario, frame index)."""


def _truth(scenario: DemoScenario, i: int) -> tuple[FigureTruth, ...]:
    key = (id(scenario), i)
    if key not in _TRUTHS:  # every frame was measured while rendering; this is a fallback
        t = SPAN_S[0] + i / scenario.fps
        _TRUTHS[key] = CameraRenderer(scenario, CAMERA).render(t, i, with_truth=True).figures
    return _TRUTHS[key]


def _render_footage(scenario: DemoScenario, path: Path) -> datetime:
    """The camera's recording as H.264 (as `render_video` writes it: frame ``i`` at
    ``i / fps`` s), measuring each frame's figures while drawing it (one renderer, one
    background). Returns the UTC time of the first frame."""
    renderer = CameraRenderer(scenario, CAMERA)
    n_frames = math.floor((SPAN_S[1] - SPAN_S[0]) * scenario.fps)

    def frames() -> Iterator[ImageBGR]:
        for i in range(n_frames):
            frame = renderer.render(SPAN_S[0] + i / scenario.fps, i, with_truth=True)
            _TRUTHS[(id(scenario), i)] = frame.figures
            yield frame.image_bgr

    encode_h264(path, scenario.fps, renderer.camera.image_size_px, frames())
    return scenario.start_utc + timedelta(seconds=SPAN_S[0])


class _Cached:
    """A face detector's answer per distinct image (the detectors are deterministic)."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector
        self.answers: dict[bytes, Detections] = {}

    def detect(self, image_bgr: ImageBGR) -> Detections:
        key = hashlib.sha1(image_bgr.tobytes()).digest() + str(image_bgr.shape).encode()
        if key not in self.answers:
            self.answers[key] = self.detector.detect(image_bgr)
        return copy.deepcopy(self.answers[key])


@dataclass(frozen=True)
class _Shared:
    redaction: Any
    """`RedactionFaceDetector`, as every export of this module gets it."""
    yunet: _Cached
    """Its YuNet (score 0.5), answers cached."""


@pytest.fixture(scope="module")
def detector() -> Iterator[_Shared]:
    """The real redaction detector, loaded once for every export of this module, each of
    its two face detectors analysing each distinct decoded frame once."""
    from cctrace.report.evidence import RedactionFaceDetector

    shared = RedactionFaceDetector()
    yunet = _Cached(shared.yunet)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shared, "yunet", yunet)
        mp.setattr(shared, "centerface", _Cached(shared.centerface))
        mp.setattr("cctrace.report.evidence.RedactionFaceDetector", lambda: shared)
        yield _Shared(shared, yunet)


def _open_case(inv: Env, root: Path, photo: Path, day: str, label: str) -> str:
    consent = write_consent(root / "consent.pdf")
    case_id = str(
        inv.json(
            "case",
            "open",
            "--patient-photo",
            str(photo),
            "--consent-file",
            str(consent),
            "--consent-given-by",
            "the patient",
            "--consent-date",
            day,
            "--diagnosis-ref",
            DIAGNOSIS_REF,
            "--from",
            f"{day}T00:00:00Z",
            "--to",
            f"{day}T23:59:00Z",
            "--label",
            label,
        )["case_id"]
    )
    approve(inv.home, case_id)
    return case_id


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory, astronaut_path: Path, detector: Any) -> Scene:
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
    video = root / "footage" / f"{CAMERA}.mp4"
    start_utc = _render_footage(scenario, video)
    home = root / "home"
    admin = Env(
        home,
        json.loads(Env(home, "").cli("init", "--home", str(home), "--json").stdout)["admin_token"],
    )
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
    admin.cli("ingest", str(video), "--camera", CAMERA, "--start", start_utc.isoformat())
    inv = Env(home, admin.json("users", "add", "dr-kim", "--role", "investigator")["token"])
    others = {
        role: Env(home, admin.json("users", "add", f"user-{role}", "--role", kind)["token"])
        for role, kind in [
            ("auditor", "auditor"),
            ("ingest", "ingest"),
            ("other-investigator", "investigator"),
        ]
    }
    day = start_utc.date().isoformat()
    case = _open_case(inv, root, astronaut_path, day, "evidence-test")
    trace = inv.json("trace", case)
    return Scene(scenario, video, inv, admin, case, trace, root, others)


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


_ORIGINALS: dict[Path, dict[float, ImageBGR]] = {}


def _original(scene: Scene) -> dict[float, ImageBGR]:
    """The footage's frames by UTC time (decoded once)."""
    if scene.video not in _ORIGINALS:
        start = scene.scenario.start_utc.timestamp() + SPAN_S[0]
        frames = {round(start + f.t_s, 3): f.image_bgr for f in iter_frames(scene.video)}
        _ORIGINALS[scene.video] = frames
    return _ORIGINALS[scene.video]


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
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "case_id",
        "out",
        "frames",
        "clips",
        "blurred_faces",
        "unblurred_contact",
        "export_id",
        "trace_id",
    }
    assert doc["case_id"] == scene.case_id and doc["unblurred_contact"] is None
    assert doc["out"] == str(out) and re.fullmatch(r"ex-[0-9a-f]{16}", doc["export_id"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["case_id"], manifest["export_id"]) == (scene.case_id, doc["export_id"])
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

    def __init__(self, scene: Scene, blind_utc: tuple[float, float], yunet: _Cached) -> None:
        self.scene, self.blind = scene, blind_utc
        self.detector = yunet  # YuNet at 0.5, its answers shared with the redaction detector
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


def test_no_flicker_when_the_detector_misses_a_face_for_a_while(
    scene: Scene, detector: _Shared
) -> None:
    from cctrace.config import get_policy
    from cctrace.report.evidence import EvidenceOptions, staged, write_evidence
    from cctrace.store.home import Home
    from cctrace.store.repository import Store
    from cctrace.store.vector_index import FlatFaceIndex
    from cctrace.trace.cases import case_query
    from cctrace.trace.engine import trace_cases

    t0 = scene.scenario.start_utc.timestamp() + SPAN_S[0]
    blind = (t0 + 4.0, t0 + 6.0)  # 2 s: far longer than the detector-based dilation
    detect = BlindedDetector(scene, blind, detector.yunet)
    out = scene.root / "export-flicker"
    with Store.open(Home.at(scene.investigator.home, env={})) as store:
        case = store.get_case(scene.case_id)
        assert case is not None
        index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
        [result] = trace_cases(store, index, [case_query(store, case)], get_policy("kdca-2022"))
        options = EvidenceOptions(frames_per_item=8, clips=True, clip_max_s=10.0)
        with staged(out) as tmp:
            write_evidence(store, result, tmp, detect, options)
    assert detect.blinded >= 10
    original = _original(scene)
    checked = 0
    in_blind = []
    for name, t, image in _exported_images(out):
        if blind[0] <= t <= blind[1]:
            in_blind.append(t)
        box = _face(scene.truth_at(t), "friend")
        if box is None:
            continue
        before = original[min(original, key=lambda k: abs(k - t))]
        ratio = _detail(image, box) / _detail(before, box)
        assert ratio < 0.35, f"{name} at {t - t0:.2f} s: the friend's face shows ({ratio:.2f})"
        checked += 1
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
    assert result.exit_code == 2 and "--reason" in result.stderr
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
    assert result.exit_code == 2 and "c-0000000000000000" in result.stderr
    result = scene.investigator.cli("evidence", "case-000000000000", "--out", str(out), check=False)
    assert result.exit_code == 2 and "case-000000000000" in result.stderr
    assert not out.exists()
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize("role", ["admin", "auditor", "ingest", "other-investigator"])
def test_only_the_cases_investigator_may_export(scene: Scene, role: str) -> None:
    env = scene.admin if role == "admin" else scene.others[role]
    out = scene.root / f"export-{role}"
    result = env.cli("evidence", scene.case_id, "--out", str(out), check=False)
    assert result.exit_code == 4, result.stderr
    assert (
        "another investigator" if role.startswith("other") else "export evidence"
    ) in result.stderr
    assert not out.exists()


def test_a_non_empty_folder_is_refused_and_left_alone(scene: Scene) -> None:
    out = scene.root / "export-full"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = scene.investigator.cli("evidence", scene.case_id, "--out", str(out), check=False)
    assert result.exit_code == 2 and "not empty" in result.stderr and str(out) in result.stderr
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
    assert result.exit_code == 2 and str(scene.video) in result.stderr
    assert not out.exists()
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_closing_the_case_destroys_every_export_still_provably_its_own(
    scene: Scene, astronaut_path: Path
) -> None:
    """A second case of the same patient (the first serves the other tests), exported
    four times: to the default folder, to --out, to a folder whose manifest is then
    altered, and to one that is moved off (handed on) before the case is closed."""
    inv = scene.investigator
    day = scene.scenario.start_utc.date().isoformat()
    case = _open_case(inv, scene.root, astronaut_path, day, "closing-test")
    refused = inv.cli("evidence", case, check=False)  # evidence comes from a saved run
    assert refused.exit_code == 2 and f"run `cctrace trace {case}` first" in refused.stderr
    traced = inv.json("trace", case)

    default = inv.json("evidence", case)
    assert default["trace_id"] == traced["trace_id"]
    own = inv.home / "exports" / case
    assert Path(default["out"]) == own / default["export_id"]
    custom, altered, moved = (scene.root / f"close-{n}" for n in ("custom", "altered", "moved"))
    docs = {p: inv.json("evidence", case, "--out", str(p)) for p in (custom, altered, moved)}
    assert len({d["export_id"] for d in [default, *docs.values()]}) == 4
    for folder, doc in [(Path(default["out"]), default), *docs.items()]:
        manifest = json.loads((folder / "manifest.json").read_text())
        assert (manifest["case_id"], manifest["export_id"]) == (case, doc["export_id"])
    written = len(_files(Path(default["out"]))) + len(_files(custom))

    # Altered to name another case: not provably ours, so it must be left alone.
    manifest = json.loads((altered / "manifest.json").read_text())
    manifest["case_id"] = scene.case_id
    (altered / "manifest.json").write_text(json.dumps(manifest))
    kept = _files(altered)
    # Handed on: moved off before the closure (cctrace cannot reach it any more).
    handed = scene.root / "handed-on"
    shutil.move(moved, handed)
    handed_files = _files(handed)

    closed = inv.json("case", "close", case)
    assert closed["exports_destroyed"] == 2 and closed["exports_already_gone"] == 1
    assert closed["exports_left_alone"] == [str(altered)]
    assert closed["export_files_destroyed"] == written
    assert closed["summary"]["exports_destroyed"] == 2
    assert closed["summary"]["exports_already_gone"] == 1
    assert not Path(default["out"]).exists() and not own.exists() and not custom.exists()
    assert _files(altered) == kept and _files(handed) == handed_files
    assert not [p for p in scene.root.iterdir() if ".partial-" in p.name]

    # A closed case exports nothing, to --out or to the default folder.
    after = scene.root / "close-after"
    for args in (["--out", str(after)], []):
        refused = inv.cli("evidence", case, *args, check=False)
        assert refused.exit_code == 2, refused.stderr
        assert f"case {case} is closed" in refused.stderr
    assert not after.exists() and not own.exists()

    again = inv.json("case", "close", case)  # a rerun settles nothing twice
    assert again["exports_destroyed"] == 0 and again["exports_already_gone"] == 0
    assert again["exports_left_alone"] == [str(altered)]

    destroyed = [(o, t) for o, c, t in _audit(scene, "destroy_export") if c == case]
    ids = {p: d["export_id"] for p, d in docs.items()}
    assert sorted(o.split(":")[0] for o, _ in destroyed) == [
        "already gone",
        "destroyed",
        "destroyed",
        "left alone",
        "left alone",
    ]
    assert f"export {ids[moved]} at {moved}" in [t for o, t in destroyed if o.startswith("already")]
    assert ("refused: case closed", case, "") in _audit(scene, "export_evidence")
    exported = [t for o, c, t in _audit(scene, "export_evidence") if c == case and o == "exported"]
    assert all(t.startswith("export ex-") for t in exported) and len(exported) == 4
    for _, target in destroyed:  # ids and folders only: nothing about the people in them
        assert "patient" not in target and "closing-test" not in target


def test_trace_table_reads_in_80_columns(scene: Scene) -> None:
    """The trace as a person reads it (no --json, 80 columns): every stay's day, start and
    end time and every contact id whole, the mask share in words or per cent, never a
    Python literal."""
    out = scene.investigator.cli("trace", scene.case_id).stdout
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    for word in ("None", "nan", "?", "…"):
        assert word not in out, out
    assert scene.trace["route"] and scene.trace["contacts"]
    for stay in scene.trace["route"]:
        start, end = datetime.fromisoformat(stay["start"]), datetime.fromisoformat(stay["end"])
        assert start.date().isoformat() in out, out
        assert start.strftime("%H:%M:%S") in out and end.strftime("%H:%M:%S") in out, out
        ratio = stay["masked_ratio"]
        assert ("unknown" if ratio is None else f"{ratio:.0%}") in out
    for contact in scene.trace["contacts"]:
        assert contact["contact_id"] in out, out


def test_case_and_audit_tables_read_in_80_columns(scene: Scene) -> None:
    """case list, case show and the audit log in an 80-column terminal: the case and
    trace ids and the times whole (no ISO ``T``), nothing cut with an ellipsis."""
    inv, auditor = scene.investigator, scene.others["auditor"]
    outs = {
        "case list": inv.cli("case", "list").stdout,
        "case show": inv.cli("case", "show", scene.case_id).stdout,
        "audit log": auditor.cli("audit", "log", "--case", scene.case_id).stdout,
    }
    for name, out in outs.items():
        assert all(len(line) <= 80 for line in out.splitlines()), (name, out)
        assert "…" not in out and "None" not in out, (name, out)
        assert scene.case_id in out, (name, out)
    assert scene.trace["trace_id"] in outs["case show"]
    assert "2024-05-14 00:00" in outs["case list"] and "T00:00" not in outs["case list"]
    log = auditor.json("audit", "log", "--case", scene.case_id)["entries"]
    assert log
    for entry in log:
        day, clock = datetime.fromisoformat(entry["at"]).strftime("%Y-%m-%d %H:%M:%S").split()
        assert day in outs["audit log"] and clock in outs["audit log"]
