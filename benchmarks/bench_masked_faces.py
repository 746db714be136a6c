"""Masked faces: the old path (YuNet alone, what `cctrace faces analyze` and `case open`
ran) and the new one (the face detector cascade, `FaceAnalyzer.find`) side by side, the
mask classifier on the faces found, and false faces on unmasked and face-free images.

Material: every real photo in ``shared/data/face-identities`` (15 faces),
``skimage.data.astronaut()`` and matplotlib's ``grace_hopper.jpg``: 17 real, unmasked
faces, each photo also mirrored (the other way round for every slightly turned head).
No real masked photos were found inside PyPI packages (see docs/benchmarks.md), so masked
faces are these faces with a synthetic mask drawn on (``cctrace.sim.masks``): 8 variants
of style, colour, upper edge (up to the lower eyelids), creases, grain and nose clip.
Each image is shrunk so that its faces are 30 to 120 px wide, as on CCTV, and captured
one of four ways (``CAPTURES``: clean; at night, dark and noisy; foreshortened as a head
turned aside; all of it with blur and harder JPEG), JPEG-compressed.

Ground truth is YuNet's detections on the full-resolution originals, keeping boxes at
least 40 px wide (this drops one false positive, a hand, in obama_and_biden.jpg; every
kept box was checked by eye); their landmarks place the masks. Face-free images:
scikit-image samples without a face (coffee, chelsea the cat, rocket, ...) and frames of
the shared video's first 6 s (the empty room), each at full and half size.

Run (2-core CPU, about 15 minutes on a quiet machine)::

    .venv/bin/python benchmarks/bench_masked_faces.py [--json results.json] [--timing-only]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Detections, FloatArray, ImageBGR
from cctrace.sim.masks import COLOURS_BGR, MaskStyle, draw_mask
from cctrace.vision.analyze import HEAD_CROP_PX, FaceAnalyzer
from cctrace.vision.centerface import CenterFaceDetector
from cctrace.vision.mask import DEFAULT_THRESHOLD
from cctrace.vision.models import model_path

# shared/ lies beside the repository (as in tests/conftest.py).
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "face-identities"
EXPECTED_FACES = 17
FACE_WIDTHS_PX = (30, 45, 60, 90, 120)


@dataclass(frozen=True)
class MaskVariant:
    style: MaskStyle
    colour: str
    top_v: float
    nose_clip: bool
    folds: int

    @property
    def label(self) -> str:
        return f"{self.style} {self.colour.replace('_', ' ')}"

    def draw(self, image_bgr: ImageBGR, landmarks_xy: FloatArray, seed: int) -> ImageBGR:
        """This mask drawn on the face with these five landmarks (a new image)."""
        return draw_mask(
            image_bgr,
            landmarks_xy,
            self.style,
            COLOURS_BGR[self.colour],
            top_v=self.top_v,
            nose_clip=self.nose_clip,
            folds=self.folds,
            seed=seed,
        )


MASKS: tuple[MaskVariant, ...] = (
    MaskVariant("surgical", "light_blue", 0.12, True, 2),
    MaskVariant("surgical", "white", 0.18, True, 3),
    MaskVariant("cloth", "black", 0.12, False, 4),
    MaskVariant("cloth", "navy", 0.2, False, 3),
    MaskVariant("kn95", "white", 0.14, False, 2),
    MaskVariant("n95", "white", 0.15, True, 0),
    MaskVariant("patterned", "red", 0.16, False, 2),
    MaskVariant("kn95", "beige", 0.22, False, 3),
)


@dataclass(frozen=True)
class Capture:
    """How a frame is captured: exposure (``dark`` < 1 darkens after a 1.6 gamma, as a
    camera at night), sensor noise (std, grey levels), blur (sigma, px), horizontal
    foreshortening (``squeeze``: a head turned aside about 35 degrees shows 0.8 of its
    width) and JPEG quality."""

    name: str
    dark: float = 1.0
    noise: float = 0.0
    blur: float = 0.0
    squeeze: float = 1.0
    jpeg: int = 75


CAPTURES: tuple[Capture, ...] = (
    Capture("clean"),
    Capture("night", dark=0.55, noise=5.0),
    Capture("turned", squeeze=0.8),
    Capture("cctv", dark=0.55, noise=5.0, blur=0.8, squeeze=0.8, jpeg=55),
)
NEGATIVES = (
    "coffee",
    "chelsea",
    "rocket",
    "coins",
    "moon",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "brick",
    "grass",
    "gravel",
    "colorwheel",
    "logo",
    "text",
    "clock",
    "page",
    "cell",
    "shepp_logan_phantom",
)
VIDEO = DATA_DIR.parents[0] / "intel-sample-videos" / "one-by-one-person-detection.mp4"
EMPTY_ROOM_FRAMES = range(0, 60, 5)
"""The shared video's first 6 s (10 fps) show the room with nobody in it."""
GT_MIN_WIDTH_PX = 40
MATCH_IOU = 0.4
MERGE_IOU = 0.3
YUNET_SCORE_MIN = 0.6


@dataclass
class Photo:
    """One real photo and its ground-truth faces (full resolution)."""

    name: str
    image_bgr: ImageBGR
    faces: Detections  # box_xyxy (F, 4), landmarks_xy (F, 5, 2)


@dataclass
class Tally:
    """Detection counts for one detector setup over a set of frames."""

    faces: int = 0
    found: int = 0
    false_pos: int = 0
    frames: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else float("nan")


@dataclass
class Results:
    detect: dict[str, dict[str, Tally]] = field(default_factory=dict)  # path -> group
    mask_right: dict[str, list[int]] = field(default_factory=dict)  # group -> [right, n]
    false_where: dict[str, list[str]] = field(default_factory=dict)  # path -> frames
    timings_ms: dict[str, float] = field(default_factory=dict)


def iou_matrix(a_xyxy: FloatArray, b_xyxy: FloatArray) -> NDArray[np.float64]:
    """Pairwise IoU, (A, 4) x (B, 4) pixel corners -> (A, B)."""
    a = a_xyxy.astype(np.float64)[:, None, :]
    b = b_xyxy.astype(np.float64)[None, :, :]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    iou: NDArray[np.float64] = inter / np.maximum(area_a + area_b - inter, 1e-9)
    return iou


def count_matches(gt_xyxy: FloatArray, det_xyxy: FloatArray) -> tuple[int, int]:
    """(ground-truth faces found, detections matching none), greedy one-to-one at IoU."""
    if len(det_xyxy) == 0:
        return 0, 0
    if len(gt_xyxy) == 0:
        return 0, len(det_xyxy)
    iou = iou_matrix(gt_xyxy, det_xyxy)
    pairs = sorted(
        (
            (float(iou[g, d]), int(g), int(d))
            for g, d in zip(*np.nonzero(iou >= MATCH_IOU), strict=True)
        ),
        reverse=True,
    )
    gt_used: set[int] = set()
    det_used: set[int] = set()
    for _, g, d in pairs:
        if g not in gt_used and d not in det_used:
            gt_used.add(g)
            det_used.add(d)
    return len(gt_used), len(det_xyxy) - len(det_used)


def load_photos(data_dir: Path) -> list[Photo]:
    from matplotlib import cbook
    from skimage import data as skdata

    paths = sorted(data_dir.glob("**/*.jpg"))
    if not paths:
        raise SystemExit(f"no photos under {data_dir}; the benchmark needs shared/data")
    images: list[tuple[str, ImageBGR]] = []
    for p in paths:
        img = cv2.imread(str(p))
        if img is None:
            raise SystemExit(f"cannot read {p}")
        images.append((str(p.relative_to(data_dir)), img))
    astronaut_rgb = skdata.astronaut()  # type: ignore[no-untyped-call]
    images.append(("skimage astronaut", cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2BGR)))
    hopper_path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    hopper = cv2.imread(str(hopper_path))
    if hopper is None:
        raise SystemExit(f"cannot read {hopper_path}")
    images.append(("matplotlib grace_hopper", hopper))
    yunet = cv2.FaceDetectorYN.create(str(model_path("yunet")), "", (320, 320), YUNET_SCORE_MIN)
    photos = []
    for name, img in images:
        yunet.setInputSize((img.shape[1], img.shape[0]))
        raw = yunet.detect(img)[1]
        raw = np.zeros((0, 15), np.float32) if raw is None else raw
        box = np.concatenate([raw[:, :2], raw[:, :2] + raw[:, 2:4]], axis=1)
        dets = Detections(box, raw[:, 14], raw[:, 4:14].reshape(-1, 5, 2))
        widths = dets.box_xyxy[:, 2] - dets.box_xyxy[:, 0]
        photos.append(Photo(name, img, dets[widths >= GT_MIN_WIDTH_PX]))
    total = sum(len(p.faces) for p in photos)
    if total != EXPECTED_FACES:
        raise SystemExit(f"expected {EXPECTED_FACES} ground-truth faces, found {total}")
    return photos


def capture(image_bgr: ImageBGR, scale: float, how: Capture) -> ImageBGR:
    """Shrink as a distant camera would (``squeeze`` narrower across), expose, blur, add
    noise (seeded: the same frame gets the same noise), then JPEG-compress as a recorder
    would."""
    small = cv2.resize(
        image_bgr, None, fx=scale * how.squeeze, fy=scale, interpolation=cv2.INTER_AREA
    )
    if how.blur:
        small = cv2.GaussianBlur(small, (0, 0), how.blur)
    if how.dark < 1.0 or how.noise:
        f = small.astype(np.float32) / 255
        f = f**1.6 * how.dark if how.dark < 1.0 else f
        f += (
            np.random.default_rng(small.size).normal(0, how.noise / 255, f.shape).astype(np.float32)
        )
        small = np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, how.jpeg])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if out is None:
        raise RuntimeError("JPEG decoding failed")
    decoded: ImageBGR = np.asarray(out, dtype=np.uint8)
    return decoded


def mirrored(photo: Photo) -> Photo:
    """The photo mirrored left to right, with its faces (landmarks in YuNet order)."""
    from cctrace.vision.face_cascade import mirror_back

    w = photo.image_bgr.shape[1]
    return Photo(
        f"{photo.name} (mirrored)",
        np.ascontiguousarray(photo.image_bgr[:, ::-1]),
        mirror_back(photo.faces, w),
    )


def add(results: Results, path: str, group: str, found: int, fp: int, faces: int) -> None:
    t = results.detect.setdefault(path, {}).setdefault(group, Tally())
    t.faces += faces
    t.found += found
    t.false_pos += fp
    t.frames += 1


def matched(gt_xyxy: FloatArray, faces: Detections) -> Detections:
    """The detections that match a ground-truth face (greedy one-to-one, IoU >= 0.4)."""
    if len(faces) == 0 or len(gt_xyxy) == 0:
        return faces[np.zeros(0, np.intp)]
    iou = iou_matrix(gt_xyxy, faces.box_xyxy)
    pairs = sorted(zip(*np.nonzero(iou >= MATCH_IOU), strict=True), key=lambda p: -iou[p])
    gt_used: set[int] = set()
    keep: list[int] = []
    for g, d in pairs:
        if int(g) not in gt_used and int(d) not in keep:
            gt_used.add(int(g))
            keep.append(int(d))
    return faces[np.asarray(sorted(keep), np.intp)]


def score_frame(
    results: Results,
    analyzer: FaceAnalyzer,
    frame: ImageBGR,
    gt_xyxy: FloatArray,
    groups: list[str],
    name: str,
    masked: bool | None,
) -> None:
    """Old path (YuNet alone) and new path (the cascade) on one frame; the mask
    classifier on the new path's faces that match the ground truth."""
    new = analyzer.find(frame)
    for path, dets in (("old", analyzer.detector.detect(frame)), ("new", new)):
        found, fp = count_matches(gt_xyxy, dets.box_xyxy)
        for g in groups:
            add(results, path, g, found, fp, len(gt_xyxy))
        if fp:
            results.false_where.setdefault(f"{path} {groups[0]}", []).append(name)
    if masked is None:
        return
    hits = matched(gt_xyxy, new)
    if len(hits):
        prob = analyzer.mask.predict(frame, hits)
        right = int(np.sum((prob >= DEFAULT_THRESHOLD) == masked))
        for g in ("all faces found", "masked" if masked else "unmasked"):
            tally = results.mask_right.setdefault(g, [0, 0])
            tally[0] += right
            tally[1] += len(hits)


def evaluate(photos: list[Photo], results: Results) -> None:
    analyzer = FaceAnalyzer()
    for photo in [q for p in photos for q in (p, mirrored(p))]:
        median_w = float(np.median(photo.faces.box_xyxy[:, 2] - photo.faces.box_xyxy[:, 0]))
        assert photo.faces.landmarks_xy is not None
        variants: list[tuple[str, ImageBGR]] = [("unmasked", photo.image_bgr)]
        for k, m in enumerate(MASKS):
            drawn = photo.image_bgr
            for f, lm in enumerate(photo.faces.landmarks_xy):
                drawn = m.draw(drawn, lm, seed=1000 * k + f)
            variants.append((m.label, drawn))
        for w, width_px in enumerate(FACE_WIDTHS_PX):
            scale = width_px / median_w
            if scale > 1.0:
                continue  # never upscale: it would invent detail a camera never saw
            for k, (variant, full) in enumerate(variants):
                if k and (k + w + photo.name.endswith("(mirrored)")) % 2:
                    # Each mask on every other size, the mirrored photo taking the other
                    # half: every style and size in both orientations, half the frames.
                    continue
                # Each size and variant gets one capture, in turn, so that every style and
                # size sees all four (the full product would take four times as long).
                how = CAPTURES[(w + k) % len(CAPTURES)]
                gt = photo.faces.box_xyxy * np.array([scale * how.squeeze, scale] * 2)
                frame = capture(full, scale, how)
                masked = variant != "unmasked"
                kind = "masked" if masked else "unmasked"
                groups = [kind, f"{kind} @{width_px}px", f"{kind} {how.name}"]
                if masked:
                    groups.append(f"style {variant}")
                name = f"{photo.name} {variant} @{width_px}px {how.name}"
                score_frame(results, analyzer, frame, gt, groups, name, masked)
        print(f"  {photo.name}: {len(photo.faces)} face(s)", file=sys.stderr, flush=True)
    for name, image in face_free_images():
        for scale in (1.0, 0.5):
            frame = capture(image, scale, CAPTURES[0])
            gt = np.zeros((0, 4), np.float32)
            score_frame(results, analyzer, frame, gt, ["face-free"], f"{name} x{scale}", None)
    print("  face-free images", file=sys.stderr, flush=True)


def face_free_images() -> list[tuple[str, ImageBGR]]:
    """scikit-image samples without a face, and the shared video's empty room."""
    from skimage import data as skdata

    out: list[tuple[str, ImageBGR]] = []
    for name in NEGATIVES:
        x = np.asarray(getattr(skdata, name)())
        if x.dtype != np.uint8:  # float images in [0, 1]
            x = (np.clip(x, 0, 1) * 255).astype(np.uint8)
        if x.ndim == 2:
            x = cv2.cvtColor(x, cv2.COLOR_GRAY2BGR)
        elif x.shape[2] == 4:
            x = cv2.cvtColor(x, cv2.COLOR_RGBA2BGR)
        else:
            x = cv2.cvtColor(x, cv2.COLOR_RGB2BGR)
        out.append((f"skimage {name}", np.ascontiguousarray(x)))
    cap = cv2.VideoCapture(str(VIDEO))
    for i in range(max(EMPTY_ROOM_FRAMES) + 1):
        ok, frame = cap.read()
        if not ok:
            raise SystemExit(f"cannot read frame {i} of {VIDEO}")
        if i in EMPTY_ROOM_FRAMES:
            out.append((f"video frame {i}", np.asarray(frame, np.uint8)))
    cap.release()
    return out


def time_ms(fn: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` runs after a warm-up, in ms: the fastest, not the median,
    because other jobs share this CPU and only ever add time."""
    fn()  # warm-up: the first call allocates buffers (and CenterFace loads a Net)
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return min(runs)


def measure_speed(photos: list[Photo], results: Results) -> None:
    """Old and new path on photos, and on one faceless head region as ingestion meets it
    (old: CenterFace alone on the 160 px head crop; new: the cascade's passes)."""
    analyzer = FaceAnalyzer()
    old_fallback = CenterFaceDetector()
    for p in photos:
        if "astronaut" in p.name or "obama_and_biden" in p.name:
            h, w = p.image_bgr.shape[:2]
            label = f"photo {w}x{h}"
            results.timings_ms[f"{label}, old (YuNet)"] = time_ms(
                partial(analyzer.detector.detect, p.image_bgr), 3
            )
            results.timings_ms[f"{label}, new (cascade)"] = time_ms(
                partial(analyzer.find, p.image_bgr), 3
            )
    hopper = next(p for p in photos if "grace_hopper" in p.name).image_bgr
    head = cv2.resize(hopper[:400, 100:450], (HEAD_CROP_PX, HEAD_CROP_PX))
    empty = Detections.empty(with_landmarks=True)
    results.timings_ms["faceless head crop, old (CenterFace)"] = time_ms(
        partial(old_fallback.detect, head), 10
    )
    results.timings_ms["faceless head crop, new (cascade passes)"] = time_ms(
        partial(analyzer.cascade.recover, head, empty), 10
    )


def _row(results: Results, group: str) -> str:
    cells = []
    for path in ("old", "new"):
        t = results.detect.get(path, {}).get(group, Tally())
        cells.append(f"{t.found}/{t.faces} ({t.recall:.3f})" if t.faces else "")
    fps = [str(results.detect.get(p, {}).get(group, Tally()).false_pos) for p in ("old", "new")]
    return f"| {group} | {cells[0]} | {cells[1]} | {fps[0]} | {fps[1]} |"


def report(results: Results) -> str:
    lines = [
        "| group | old path found (YuNet) | new path found (cascade) | false faces old | new |",
        "|---|---|---|---|---|",
    ]
    groups = list(results.detect.get("new", {}))

    def order(g: str) -> tuple[int, int, str]:
        kind = 0 if g in ("masked", "unmasked", "face-free") else 1 if "@" in g else 2
        width = int(g.split("@")[1].removesuffix("px")) if "@" in g else 0
        return kind, width, g

    lines += [_row(results, g) for g in sorted(groups, key=order)]
    new_m = results.detect.get("new", {}).get("masked", Tally())
    old_m = results.detect.get("old", {}).get("masked", Tally())
    if new_m.faces:
        lines += [
            "",
            f"masked faces found per 60: old {60 * old_m.recall:.1f}, new {60 * new_m.recall:.1f}",
        ]
    lines += ["", "| mask classifier (new path's faces) | right | accuracy |", "|---|---|---|"]
    for g, (right, n) in results.mask_right.items():
        lines.append(f"| {g} | {right}/{n} | {right / n:.3f} |")
    lines += ["", "frames with a false face, new path:"]
    for key, names in results.false_where.items():
        if key.startswith("new"):
            lines.append(f"- {key}: {len(names)}: {'; '.join(names[:12])}")
    lines += ["", "| timing | ms |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in results.timings_ms.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="face-identities folder")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    parser.add_argument("--timing-only", action="store_true", help="skip the accuracy part")
    args = parser.parse_args(argv)
    data_dir = args.data or DATA_DIR
    photos = load_photos(data_dir)
    results = Results()
    if not args.timing_only:
        evaluate(photos, results)
    measure_speed(photos, results)
    print(report(results))
    if args.json:
        raw = {
            "detect": {
                s: {g: asdict(t) for g, t in gs.items()} for s, gs in results.detect.items()
            },
            "mask_right": results.mask_right,
            "false_where": results.false_where,
            "timings_ms": results.timings_ms,
        }
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
