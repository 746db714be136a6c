"""How long a small newcomer goes unseen at 1080p, under each tiling rule.

NanoDet sees a 1080p frame shrunk 4.6 times, so a person under about 220 px tall is
found reliably only by the half-frame tiles, which ingestion runs at least once in every
``tile_every_s`` window (`cctrace.ingest.rate`). A longer window saves detector time
and lets a small person who walks in go unseen longer. We have no real 1080p footage of
small people, so this builds it from the shared video: a 5 x 5 grid of copies of it,
each shrunk to 384 x 216 (walkers about 186 px tall, 40 px in NanoDet's input) and
started at a different time, so that people walk in at many places and moments. Each
passage counted by eye (`bench_ingest.PASSAGES_S`) that begins inside a copy's minute
is a newcomer; its delay is the time from the passage's start to the first tracked box
centred in that copy.

    .venv/bin/python -m benchmarks.bench_newcomers [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from benchmarks.bench_ingest import PASSAGES_S, START, VIDEO, run_ingest
from cctrace.core.types import ImageBGR
from cctrace.ingest.inputs import IngestOptions, VisionModels
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.video.clips import write_clip
from cctrace.video.frames import iter_frames

GRID = 5
CELL_WH = (384, 216)
OFFSET_STEP_S = 5.3
"""Copy k starts ``k * OFFSET_STEP_S`` seconds (modulo the room left) into the video."""
VARIANTS = {
    "tiles while small, every 1 s (before)": IngestOptions(
        tiles_while_small=True, tile_every_s=1.0
    ),
    "tiles when a small one is missed, every 1 s": IngestOptions(tile_every_s=1.0),
    "tiles when a small one is missed, every 2 s (default)": IngestOptions(tile_every_s=2.0),
}


def grid_clip(out: Path, seconds: float) -> tuple[Path, list[float]]:
    """The grid video (10 fps, a keyframe every 2 s) and each copy's start in the video."""
    frames = [
        cv2.resize(f.image_bgr, CELL_WH, interpolation=cv2.INTER_AREA) for f in iter_frames(VIDEO)
    ]
    n = int(seconds * 10)
    room = len(frames) - n
    starts = [round(k * OFFSET_STEP_S * 10) % room for k in range(GRID * GRID)]

    def grid(i: int) -> ImageBGR:
        cells = [frames[starts[k] + i] for k in range(GRID * GRID)]
        return np.vstack([np.hstack(cells[r * GRID : (r + 1) * GRID]) for r in range(GRID)])

    write_clip(out, (grid(i) for i in range(n)), keyframe_every=20)
    return out, [s / 10 for s in starts]


def delays(home: Path, starts_s: list[float], seconds: float) -> list[float | None]:
    """Per newcomer (copy, passage), seconds from its start to the first tracked box
    centred in its copy, or None if none was."""
    with Store.open(Home.at(home)) as store:
        sightings = list(store.sightings())
    t0 = START.timestamp()
    points: list[tuple[float, float, float]] = []  # (t in clip, centre x, centre y)
    for s in sightings:
        if s.path_box_xyxy is None:
            continue
        c = (s.path_box_xyxy[:, :2] + s.path_box_xyxy[:, 2:]) / 2
        points.extend(
            zip((s.path_t_s - t0).tolist(), c[:, 0].tolist(), c[:, 1].tolist(), strict=True)
        )
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    out: list[float | None] = []
    for k, start in enumerate(starts_s):
        x0, y0 = (k % GRID) * CELL_WH[0], (k // GRID) * CELL_WH[1]
        cell = (
            (pts[:, 1] >= x0)
            & (pts[:, 1] < x0 + CELL_WH[0])
            & (pts[:, 2] >= y0)
            & (pts[:, 2] < y0 + CELL_WH[1])
        )
        for a, _b in PASSAGES_S:
            enter = a - start
            if not 0.0 < enter < seconds - 3.0:
                continue
            # A box up to a second before the by-eye start is the same person coming in.
            seen = pts[cell & (pts[:, 0] >= enter - 1.0) & (pts[:, 0] <= enter + 5.0), 0]
            out.append(max(0.0, float(seen.min()) - enter) if len(seen) else None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not VIDEO.is_file():
        sys.exit(f"{VIDEO} is missing: see ../shared/data/README.md")
    models = VisionModels.load()
    with tempfile.TemporaryDirectory() as tmp_str:
        tmp = Path(tmp_str)
        clip, starts = grid_clip(tmp / "grid.mp4", args.seconds)
        print(
            "| rule | newcomers | unseen after 5 s | delay s: median | mean | max "
            "| ingest s | frames analysed | load |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name, opts in VARIANTS.items():
            r, home = run_ingest(tmp, clip, models, replace(opts))
            d = delays(home, starts, args.seconds)
            found = np.array([x for x in d if x is not None], np.float64)
            print(
                f"| {name} | {len(d)} | {len(d) - len(found)} | {np.median(found):.2f} | "
                f"{found.mean():.2f} | {found.max():.2f} | {r.elapsed_s:.1f} | "
                f"{r.frames_analysed} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
