"""Distributed ingestion on the shared video: the whole video in one process, against a
manifest cut into segments on N local worker processes (and, with --ray, a local Ray
cluster), side by side in one run.

Printed: wall time and the ratio to the single process; and how close the segmented
result is to the whole one: sightings in each, pairs matched by time overlap, the largest
start and end differences, and the cosine between the paired face embeddings.

    .venv/bin/python benchmarks/bench_distributed.py [--segment 30] [--workers 2] [--ray]
    .venv/bin/python benchmarks/bench_distributed.py --segment 30 --frame-loop

``--frame-loop``: no store, no workers; the frame loop (`analyse_video`) whole and per
segment in this process, joined, with the adaptive analysis rate on and off, to show
which differences come from the cuts and which from the rate's phase.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from cctrace.core.types import Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.segments import SegmentSightings, join_segments, plan_spans
from cctrace.ingest.worker import span_sightings
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.video.frames import probe

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO.parent / "shared" / "data" / "intel-sample-videos" / "one-by-one-person-detection.mp4"
START = "2026-11-20T10:00:00+00:00"


def cli(home: Path, token: str | None, *args: str) -> dict[str, object]:
    env = {"CCTRACE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    if token:
        env["CCTRACE_TOKEN"] = token
    out = subprocess.run(
        [sys.executable, "-m", "cctrace", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def fresh_home(root: Path, name: str) -> tuple[Path, str]:
    home = root / name
    token = str(cli(home, None, "init")["admin_token"])
    cli(home, token, "cameras", "add", "room", "--name", "Room", "--x-m", "0", "--y-m", "0")
    return home, token


def sightings(home: Path) -> list[Sighting]:
    with Store.open(Home.at(home)) as store:
        return sorted(store.sightings(with_biometrics=True), key=lambda s: s.t_start_s)


def closeness(whole: list[Sighting], split: list[Sighting]) -> str:
    pairs = []
    for w in whole:
        best = max(
            split,
            key=lambda s: min(w.t_end_s, s.t_end_s) - max(w.t_start_s, s.t_start_s),
            default=None,
        )
        if best is not None and min(w.t_end_s, best.t_end_s) > max(w.t_start_s, best.t_start_s):
            pairs.append((w, best))
    d_start = max((abs(w.t_start_s - s.t_start_s) for w, s in pairs), default=0.0)
    d_end = max((abs(w.t_end_s - s.t_end_s) for w, s in pairs), default=0.0)
    cos = [
        float(np.dot(w.face_embedding, s.face_embedding))
        for w, s in pairs
        if w.face_embedding is not None and s.face_embedding is not None
    ]
    identical = sum(
        w.sighting_id == s.sighting_id
        and np.array_equal(w.path_t_s, s.path_t_s)
        and w.face_count == s.face_count
        for w, s in pairs
    )
    for w, s in pairs:
        cosine = (
            f"{float(np.dot(w.face_embedding, s.face_embedding)):.4f}"
            if w.face_embedding is not None and s.face_embedding is not None
            else "-"
        )
        print(
            f"    {w.sighting_id[-6:]} / {s.sighting_id[-6:]}: "
            f"{w.t_start_s % 3600:7.2f}-{w.t_end_s % 3600:7.2f} s / "
            f"{s.t_start_s % 3600:7.2f}-{s.t_end_s % 3600:7.2f} s, path points "
            f"{len(w.path_t_s)} / {len(s.path_t_s)}, faces {w.face_count} / {s.face_count}, "
            f"face cosine {cosine}"
        )
    return (
        f"sightings whole {len(whole)}, split {len(split)}; matched {len(pairs)}, "
        f"identical (id, path times, faces) {identical}; largest start difference "
        f"{d_start:.2f} s, end {d_end:.2f} s; face cosine min "
        f"{min(cos) if cos else float('nan'):.4f}"
    )


def frame_loop(segment_s: float, sample_fps: float) -> None:
    start = datetime.fromisoformat(START)
    video = PreparedVideo(VIDEO, probe(VIDEO), "f" * 64, "room", start, None, None)
    models = VisionModels.load()
    for adaptive in (True, False):
        opts = IngestOptions(sample_fps=sample_fps, adaptive_rate=adaptive)
        whole = span_sightings(models, video, opts, start, None)
        pieces = [
            SegmentSightings(sp, start.timestamp(), span_sightings(models, video, opts, start, sp))
            for sp in plan_spans(VIDEO, sample_fps, segment_s)
        ]
        split = [s for group in join_segments(pieces) for s in group]
        print(f"frame loop, adaptive rate {'on' if adaptive else 'off'} (whole / split):")
        print(f"  {closeness(sorted(whole, key=lambda s: s.t_start_s), split)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segment", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fps", default="4")
    parser.add_argument("--ray", action="store_true")
    parser.add_argument("--frame-loop", action="store_true")
    args = parser.parse_args()
    if not VIDEO.is_file():
        sys.exit(f"missing {VIDEO}: see ../shared/data/README.md")
    if args.frame_loop:
        frame_loop(args.segment, float(args.fps))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = root / "m.csv"
        manifest.write_text(f"path,camera_id,start\n{VIDEO},room,{START}\n")
        runs: list[tuple[str, float, list[Sighting]]] = []
        home, token = fresh_home(root, "whole")
        t0 = time.perf_counter()
        cli(
            home,
            token,
            "ingest",
            str(VIDEO),
            "--camera",
            "room",
            "--start",
            START,
            "--fps",
            args.fps,
        )
        runs.append(("whole, 1 process", time.perf_counter() - t0, sightings(home)))
        variants = [("--workers", str(args.workers))]
        if args.ray:
            variants.append(("--ray", "auto"))
        for flag, value in variants:
            home, token = fresh_home(root, f"split{flag}")
            t0 = time.perf_counter()
            cli(
                home,
                token,
                "ingest",
                "--manifest",
                str(manifest),
                flag,
                value,
                "--segment",
                str(args.segment),
                "--fps",
                args.fps,
            )
            label = f"{args.segment:.0f} s segments, {flag} {value}"
            runs.append((label, time.perf_counter() - t0, sightings(home)))
        base = runs[0][1]
        print(f"{VIDEO.name}, {args.fps} analysed frames/s")
        for label, wall_s, found in runs:
            print(f"  {label:34s} {wall_s:7.1f} s  x{base / wall_s:.2f}  {len(found)} sightings")
        for label, _, found in runs[1:]:
            print(f"  {label} against the whole (whole / split):")
            print(f"  {closeness(runs[0][2], found)}")


if __name__ == "__main__":
    main()
