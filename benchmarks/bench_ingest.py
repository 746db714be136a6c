"""Ingestion on the shared video: tracks against people counted by eye, and speed.

Speed is printed as ratios side by side: video seconds per second of ingestion
(real-time factor) and ingestion time over bare decoding of the same file, with and
without motion skipping, at the shared video's size (768x432) and upscaled to 1080p.

    .venv/bin/python benchmarks/bench_ingest.py [--seconds-1080p 60]
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

from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.video.clips import make_clip
from cctrace.video.frames import iter_frames, probe

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO.parent / "shared" / "data" / "intel-sample-videos" / "one-by-one-person-detection.mp4"
START = "2026-11-20T10:00:00+00:00"
# Six people cross the room one at a time (counted by eye on contact sheets of every
# 5th frame; start and end of each passage in seconds of the video).
PASSAGES_S = [(6.5, 19.5), (23.0, 44.5), (50.7, 69.5), (74.7, 86.5), (92.9, 119.5), (123.8, 135.8)]


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


def fresh_home(root: Path) -> tuple[Path, str]:
    home = root / f"home{time.perf_counter_ns()}"
    token = str(cli(home, None, "init", "--home", str(home))["admin_token"])
    cli(home, token, "cameras", "add", "room", "--name", "Room", "--x-m", "0", "--y-m", "0")
    return home, token


def decode_s(path: Path) -> float:
    t0 = time.perf_counter()
    for _ in iter_frames(path):
        pass
    return time.perf_counter() - t0


def ingest(root: Path, path: Path, *extra: str) -> tuple[dict[str, object], Path]:
    home, token = fresh_home(root)
    out = cli(
        home,
        token,
        "ingest",
        str(path),
        "--camera",
        "room",
        "--start",
        "2026-11-20T10:00:00Z",
        *extra,
    )
    videos = out["videos"]
    assert isinstance(videos, list)
    return videos[0], home


def track_report(home: Path) -> None:
    with Store.open(Home.at(home)) as store:
        sightings = sorted(store.sightings(), key=lambda s: s.t_start_s)
    t0 = datetime.fromisoformat(START).timestamp()
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds-1080p", type=float, default=60.0)
    parser.add_argument("--tracks-only", action="store_true", help="skip the speed table")
    args = parser.parse_args()
    if args.tracks_only:
        with tempfile.TemporaryDirectory() as tmp_str:
            track_report(ingest(Path(tmp_str), VIDEO)[1])
        return

    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        n_1080 = int(args.seconds_1080p * 10)
        hd = make_clip(VIDEO, tmp / "hd.mp4", 0, n_1080, scale_to=(1920, 1080))
        rows = []
        first_home: Path | None = None
        for label, path in (("768x432", VIDEO), ("1920x1080", hd)):
            info = probe(path)
            duration = info.duration_s or 0.0
            dec = decode_s(path)
            for skip in (True, False):
                extra = () if skip else ("--no-motion-skip",)
                r, home = ingest(tmp, path, *extra)
                if first_home is None:
                    first_home = home
                elapsed = float(r["elapsed_s"])  # type: ignore[arg-type]
                rows.append((label, duration, skip, dec, elapsed, r))
        print(
            "| video | length s | motion skip | decode s | ingest s | x real time | "
            "ingest / decode | frames analysed | skipped | sightings |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for label, duration, skip, dec, elapsed, r in rows:
            print(
                f"| {label} | {duration:.1f} | {'on' if skip else 'off'} | {dec:.1f} | "
                f"{elapsed:.1f} | {duration / elapsed:.2f} | {elapsed / dec:.1f} | "
                f"{r['frames_analysed']} | {r['frames_skipped_motion']} | "
                f"{r['sightings_added']} |"
            )
        for label in ("768x432", "1920x1080"):
            on = next(e for lab, _, s, _, e, _ in rows if lab == label and s)
            off = next(e for lab, _, s, _, e, _ in rows if lab == label and not s)
            print(f"motion skipping saves {100 * (1 - on / off):.0f}% of ingest time at {label}")
        assert first_home is not None
        track_report(first_home)


if __name__ == "__main__":
    main()
