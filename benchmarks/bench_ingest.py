"""Ingestion on the shared video: tracks against people counted by eye, and speed.

Speed is printed as ratios side by side, in one run: video seconds per second of
ingestion (x real time) and ingestion time over bare decoding of the same file, for the
old path (full-frame faces, every sample analysed), the steps added since (``PATHS``) and
the new one (faces in head regions, adaptive analysis rate, keyframe-only decoding while
nobody is in view), at the shared video's size (768x432), upscaled to 1080p, and on 1080p
footage where nobody is in view (the empty room at the start of the shared video, played
back and forth). The machine's load average is printed with every row: other work on the
same cores slows both columns.

    .venv/bin/python benchmarks/bench_ingest.py [--seconds-1080p 60] [--stages]
        [--skip-768] [--paths old,cascade,rate,square,spin,prev,new]
    .venv/bin/python benchmarks/bench_ingest.py --tracks-only [--old]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import cv2

from cctrace.ingest.inputs import IngestOptions, VisionModels
from cctrace.ingest.pipeline import IngestResult, ingest, prepare
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.tracking.bytetrack import ByteTracker
from cctrace.video.clips import make_clip, write_clip
from cctrace.video.frames import iter_frames, probe
from cctrace.vision.models import SPIN_ENV
from cctrace.vision.persons import PERSON_MIN_SCORE, NanoDetPersonDetector

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO.parent / "shared" / "data" / "intel-sample-videos" / "one-by-one-person-detection.mp4"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# Six people cross the room one at a time (counted by eye on contact sheets of every
# 5th frame; start and end of each passage in seconds of the video).
PASSAGES_S = [(6.5, 19.5), (23.0, 44.5), (50.7, 69.5), (74.7, 86.5), (92.9, 119.5), (123.8, 135.8)]
# Frames 0-59 (the first 6 s) show the empty room: nobody enters before 6.5 s.
EMPTY_FRAMES = (0, 60)

KEYFRAME_EVERY = 20
"""The clips get a keyframe every 2 s at 10 fps, as CCTV encoders default to (1-2 s); the
shared video has one every second. (x264's own default, 25 s, would keep quiet footage
fully decoded: `cctrace.video.quiet` only skips frames between keyframes 2 s apart.)"""

OLD = IngestOptions(face_cascade=False, adaptive_rate=False, keyframes_when_quiet=False)
NEW = IngestOptions()
PATHS = {
    "old": OLD,
    "cascade": replace(OLD, face_cascade=True),
    "rate": replace(NEW, keyframes_when_quiet=False),
    "square": NEW,
    "spin": NEW,
    "prev": NEW,
    "calm": replace(NEW, full_rate_while_changing=False),
    "new": NEW,
}
"""old: full-frame faces, every sample analysed, every frame decoded (before issue 14);
cascade: faces in head regions; rate: and the adaptive analysis rate (every frame still
decoded); square: and keyframe-only decoding while nobody is in view, NanoDet on its
square 416 x 416 input (the default before its input was fitted to the frame); new: the
default (NanoDet's input fitted to the frame: 416 x 288 at 16:9); spin: the default with
ONNX Runtime's threads spin-waiting (`CCTRACE_ORT_SPIN=1`, its own default); calm: the
default but for every other sample skipped while calm even when a tracked person's picture
changes fast (the rule before issue 15's walking-in fix). Every path but
new, calm, prev and spin runs the square input, so that old, cascade and rate stay what they
measured before. prev: the default before person detection moved to OpenVINO (the same
options, NanoDet on ONNX Runtime in float32). Every path but new and calm runs person
detection on ONNX Runtime in float32, without spin-waiting but for spin; new and calm run
it on the runtime `cctrace.vision.runtime` chooses (``CCTRACE_RUNTIME``, default OpenVINO:
bf16 where the CPU has it), which is printed."""


CAMERA_ARGS = ("--name", "Room", "--x-m", "0", "--y-m", "0", "--json")


def fresh_home(root: Path) -> Path:
    home = root / f"home{time.perf_counter_ns()}"
    env = {"CCTRACE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "cctrace", "init", "--home", str(home), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    env["CCTRACE_TOKEN"] = str(json.loads(out.stdout)["admin_token"])
    subprocess.run(
        [sys.executable, "-m", "cctrace", "cameras", "add", "room", *CAMERA_ARGS],
        env=env,
        capture_output=True,
        check=True,
    )
    return home


def run_ingest(
    root: Path, path: Path, models: VisionModels, options: IngestOptions
) -> tuple[IngestResult, Path]:
    """One ingestion into a fresh data folder, in this process (models loaded once, so
    only the ingestion itself is timed, as the CLI's ``elapsed_s`` is)."""
    home = fresh_home(root)
    with Store.open(Home.at(home)) as store:
        index = FlatFaceIndex(store.home.faces_index_dir, store.cipher)
        video = prepare(store, path, "room", START, datetime.now(UTC))
        return ingest(store, index, models, video, options), home


def decode_s(path: Path) -> float:
    t0 = time.perf_counter()
    for _ in iter_frames(path):
        pass
    return time.perf_counter() - t0


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def quiet_clip(out: Path, seconds: float, size: tuple[int, int]) -> Path:
    """``seconds`` of the empty room at ``size``, its first 6 s played forward and back
    (real sensor noise and compression, nobody in view), 10 fps H.264, a keyframe every
    ``KEYFRAME_EVERY`` frames."""
    frames = [
        cv2.resize(f.image_bgr, size, interpolation=cv2.INTER_LINEAR)
        for f in iter_frames(VIDEO)
        if EMPTY_FRAMES[0] <= f.index < EMPTY_FRAMES[1]
    ]
    cycle = frames + frames[-2:0:-1]
    n = int(seconds * 10)
    return write_clip(out, (cycle[i % len(cycle)] for i in range(n)), keyframe_every=KEYFRAME_EVERY)


@dataclass(frozen=True)
class Row:
    label: str
    path_name: str
    duration_s: float
    decode_s: float
    result: IngestResult
    load_before: str
    load_after: str


def track_report(home: Path) -> int:
    """Prints tracks against the passages; returns the number of ID switches."""
    with Store.open(Home.at(home)) as store:
        sightings = sorted(store.sightings(), key=lambda s: s.t_start_s)
    t0 = START.timestamp()
    spans = [(s.track_id, s.t_start_s - t0, s.t_end_s - t0, s.face_count) for s in sightings]
    print(
        f"\ntracks: {len(spans)} (longer than 1 s: "
        f"{sum(1 for _, a, b, _ in spans if b - a > 1)}); people counted by eye: "
        f"{len(PASSAGES_S)}"
    )
    print("| passage (s) | track ids overlapping it | faces on the dominant track |")
    print("|---|---|---|")
    switches = 0
    for a, b in PASSAGES_S:
        ids = [
            (tid, min(e, b) - max(s, a), f) for tid, s, e, f in spans if min(e, b) - max(s, a) > 0.5
        ]
        switches += max(0, len(ids) - 1)
        dominant = max(ids, key=lambda x: x[1]) if ids else None
        print(
            f"| {a:.1f}-{b:.1f} | {', '.join(str(i[0]) for i in ids) or '-'} | "
            f"{dominant[2] if dominant else '-'} |"
        )
    print(f"ID switches within passages: {switches}")
    return switches


def stages(path: Path, models: VisionModels) -> None:
    """Milliseconds per sampled frame of each step, old and new face search, 4 fps."""
    sums = dict.fromkeys(("decode", "persons", "faces full", "faces cascade", "embed"), 0.0)
    tracker = ByteTracker(first_track_id=1)
    last = [-1]  # the last sampled bin, read by the decoder's frame filter
    n, t = 0, time.perf_counter()
    for fr in iter_frames(path, want=lambda _i, ts: math.floor(ts * 4 + 1e-9) > last[0]):
        b = math.floor(fr.t_s * 4 + 1e-9)
        if b <= last[0]:
            continue
        last[0], n = b, n + 1
        sums["decode"] += time.perf_counter() - t
        t = time.perf_counter()
        tracked = tracker.update(models.persons.detect(fr.image_bgr), fr.t_s)
        sums["persons"] += time.perf_counter() - t
        if len(tracked):
            t = time.perf_counter()
            models.faces.find(fr.image_bgr, tracked.detections)
            sums["faces full"] += time.perf_counter() - t
            t = time.perf_counter()
            faces = models.faces.find(fr.image_bgr, tracked.detections, cascade=True)
            sums["faces cascade"] += time.perf_counter() - t
            t = time.perf_counter()
            models.faces.describe(fr.image_bgr, faces)
            models.appearance.describe(fr.image_bgr, tracked.detections)
            sums["embed"] += time.perf_counter() - t
        t = time.perf_counter()
    print(f"\nsteps on {path.name}, {n} sampled frames, load {load()}: ms per sampled frame")
    print("| " + " | ".join(sums) + " |")
    print("|" + "---|" * len(sums))
    print("| " + " | ".join(f"{1000 * v / max(n, 1):.1f}" for v in sums.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds-1080p", type=float, default=60.0)
    parser.add_argument("--tracks-only", action="store_true", help="skip the speed table")
    parser.add_argument("--old", action="store_true", help="--tracks-only on the old path")
    parser.add_argument("--stages", action="store_true", help="also time each step at 1080p")
    parser.add_argument("--skip-768", action="store_true", help="leave out the 768x432 rows")
    parser.add_argument(
        "--paths",
        default=",".join(PATHS),
        help=f"comma-separated paths to time, of {', '.join(PATHS)} (old and new at least)",
    )
    args = parser.parse_args()
    if not VIDEO.is_file():
        sys.exit(f"{VIDEO} is missing: see ../shared/data/README.md")
    paths = tuple(p for p in args.paths.split(",") if p)
    if not {"old", "new"} <= set(paths) or not set(paths) <= set(PATHS):
        sys.exit(f"--paths {args.paths!r}: give old, new and any of {', '.join(PATHS)}")
    models = VisionModels.load()
    square = replace(
        models,
        persons=NanoDetPersonDetector(PERSON_MIN_SCORE, fit_input=False, runtime="onnxruntime"),
    )
    prev = replace(models, persons=NanoDetPersonDetector(PERSON_MIN_SCORE, runtime="onnxruntime"))
    os.environ[SPIN_ENV] = "1"
    spinning = replace(
        models, persons=NanoDetPersonDetector(PERSON_MIN_SCORE, runtime="onnxruntime")
    )
    del os.environ[SPIN_ENV]
    persons = models.persons
    runtime = persons.runtime if isinstance(persons, NanoDetPersonDetector) else "?"
    print(f"person detection on path new: {runtime}")

    def models_for(path_name: str) -> VisionModels:
        return {"new": models, "calm": models, "prev": prev, "spin": spinning}.get(
            path_name, square
        )

    if args.tracks_only:
        with tempfile.TemporaryDirectory() as tmp_str:
            r, home = run_ingest(
                Path(tmp_str), VIDEO, square if args.old else models, OLD if args.old else NEW
            )
            print(f"path: {'old' if args.old else 'new'}; frames analysed {r.frames_analysed}")
            track_report(home)
        return

    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        n_1080 = int(args.seconds_1080p * 10)
        hd = make_clip(
            VIDEO,
            tmp / "hd.mp4",
            0,
            n_1080,
            scale_to=(1920, 1080),
            keyframe_every=KEYFRAME_EVERY,
        )
        quiet = quiet_clip(tmp / "quiet.mp4", args.seconds_1080p, (1920, 1080))
        plan: list[tuple[str, Path, tuple[str, ...]]] = [
            ("1920x1080 busy", hd, paths),
            (
                "1920x1080 nobody",
                quiet,
                tuple(p for p in paths if p not in ("cascade", "square", "spin", "prev")),
            ),
        ]
        if not args.skip_768:
            plan.insert(0, ("768x432", VIDEO, tuple(p for p in paths if p != "cascade")))
        # Tracks of every path that ran on the shared video or the busy clip.
        rows: list[Row] = []
        homes: dict[str, Path] = {}
        for label, path, names in plan:
            duration = probe(path).duration_s or 0.0
            before = load()
            dec = decode_s(path)
            for name in names:
                r, home = run_ingest(tmp, path, models_for(name), PATHS[name])
                rows.append(Row(label, name, duration, dec, r, before, load()))
                if label in ("768x432", "1920x1080 busy") and name != "cascade":
                    homes[f"{label}, {name}"] = home
        print(
            "| video | path | length s | decode s | ingest s | x real time | ingest / decode "
            "| frames decoded | sampled | analysed | motion-skipped | sightings "
            "| load before, after |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            r = row.result
            print(
                f"| {row.label} | {row.path_name} | {row.duration_s:.1f} | {row.decode_s:.1f} | "
                f"{r.elapsed_s:.1f} | {row.duration_s / r.elapsed_s:.2f} | "
                f"{r.elapsed_s / row.decode_s:.2f} | {r.frames_decoded} | {r.frames_sampled} | "
                f"{r.frames_analysed} | "
                f"{r.frames_skipped_motion} | {r.sightings_added} | "
                f"{row.load_before}, {row.load_after} |"
            )
        for label, _, _names in plan:
            by = {row.path_name: row.result.elapsed_s for row in rows if row.label == label}
            print(
                f"{label}: new path {by['old'] / by['new']:.2f}x faster than old"
                + (f", {by['rate'] / by['new']:.2f}x faster than rate" if "rate" in by else "")
                + "".join(
                    f", {by[k] / by['new']:.2f}x faster than {k}"
                    for k in ("square", "spin", "prev", "calm")
                    if k in by
                )
            )
        for name, home in homes.items():
            print(f"\n{name} path:", end="")
            track_report(home)
        if args.stages:
            stages(hd, models)


if __name__ == "__main__":
    main()
