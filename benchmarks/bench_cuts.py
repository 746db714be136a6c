"""How long a track carries an identity past a scene change, old (tracker alone) and new
(scene cuts and identity jumps end tracks) side by side, over a sweep of cut points.

Edited clips are built from the shared material: a passage of the shared video
(``one-by-one-person-detection.mp4``, a person walking through the room) cut mid-walk

- ``other-passage``: into another passage of the same view (another person, same room:
  a camera whose picture jumps in time);
- ``gif-scene``: into one of the GIF scenes of the same folder (another camera);
- ``freeze-jump``: the last frame repeated for 1.5 s (a recorder freezing), then into
  another passage;
- ``rendered``: into the rendered café scene of the test suite (tests/cafe.py).

Each clip runs through the real frame loop (`cctrace.ingest.pipeline.analyse_video`, all
models) twice: ``identity_breaks`` off and on. Printed per kind: clips, clips where some
track began before the cut and went on after it, and the time it went on past the cut
(mean, largest). Then normal footage, where nothing should split: sightings old and new
on the whole shared video (6 people), the GIF scenes and the café clip, and the ID
changes inside the shared video's passages (0 is right).

    nice -n 5 .venv/bin/python benchmarks/bench_cuts.py [--cuts-per-kind 6]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from cctrace.core.types import ImageBGR, Sighting
from cctrace.ingest.pipeline import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.render import encode_h264
from cctrace.tracking.scene import SceneCutDetector, scene_change, scene_signature
from cctrace.video.frames import iter_frames, probe
from cctrace.vision.appearance import colour_descriptors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.cafe import cafe_clip  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "intel-sample-videos"
VIDEO = DATA / "one-by-one-person-detection.mp4"
PASSAGES_S = ((6.5, 19.5), (23.0, 44.5), (50.7, 69.5), (74.7, 86.5), (92.9, 119.5), (123.8, 135.8))
GIFS = ("store-aisle-detection.gif", "face-demographics-walking.gif", "classroom.gif")
MORE_GIFS = (
    "people-detection.gif",
    "worker-zone-detection.gif",
    "face-demographics-walking-and-pause.gif",
)
SIZE = (768, 432)
FPS = 10
BEFORE_S = 3.0
AFTER_S = 3.0
START = datetime(2026, 1, 1, tzinfo=UTC)


def load_frames(path: Path) -> list[ImageBGR]:
    """Every frame of ``path`` at 768x432 (GIFs are resized)."""
    return [
        cv2.resize(f.image_bgr, SIZE, interpolation=cv2.INTER_AREA)
        if f.image_bgr.shape[1::-1] != SIZE
        else f.image_bgr
        for f in iter_frames(path)
    ]


def write_clip(frames: list[ImageBGR], out: Path) -> Path:
    encode_h264(out, FPS, SIZE, frames)
    return out


@dataclass(frozen=True)
class Clip:
    kind: str
    label: str
    frames: list[ImageBGR]
    t_cut_s: float
    """Time of the first frame after the cut."""


def build_clips(shared: list[ImageBGR], cuts_per_kind: int) -> list[Clip]:
    n_before, n_after = round(BEFORE_S * FPS), round(AFTER_S * FPS)
    gifs = {name: load_frames(DATA / name) for name in GIFS}
    cafe = cafe_clip()
    step = max(1, round(cafe.fps / FPS))
    rendered = [cv2.resize(im, SIZE, interpolation=cv2.INTER_AREA) for im in cafe.frames(5.0)][
        ::step
    ]
    clips: list[Clip] = []
    for k in range(cuts_per_kind):
        # Cut points spread over every passage and over each passage's middle half.
        a = k % len(PASSAGES_S)
        b = (a + 1 + k // len(PASSAGES_S)) % len(PASSAGES_S)
        t0, t1 = PASSAGES_S[a]
        frac = 0.3 + 0.4 * ((k * 0.37) % 1.0)
        cut_frame = round((t0 + frac * (t1 - t0)) * FPS)
        head = shared[cut_frame - n_before : cut_frame]
        u0, u1 = PASSAGES_S[b]
        into = round((u0 + (0.3 + 0.4 * ((k * 0.61) % 1.0)) * (u1 - u0)) * FPS)
        other = shared[into : into + n_after]
        t_cut = n_before / FPS
        label = f"{cut_frame / FPS:.1f}s"
        clips.append(Clip("other-passage", f"{label}->{into / FPS:.1f}s", head + other, t_cut))
        gif_name = GIFS[k % len(GIFS)]
        gif = gifs[gif_name]
        tail = (gif * (1 + n_after // max(len(gif), 1)))[:n_after]
        clips.append(Clip("gif-scene", f"{label}->{gif_name}", head + tail, t_cut))
        freeze = [head[-1]] * round(1.5 * FPS)
        clips.append(
            Clip(
                "freeze-jump",
                f"{label}+1.5s->{into / FPS:.1f}s",
                head + freeze + other,
                t_cut + 1.5,
            )
        )
        r0 = (k * 7) % max(1, len(rendered) - n_after)
        clips.append(Clip("rendered", f"{label}->cafe", head + rendered[r0 : r0 + n_after], t_cut))
    return clips


def sightings_of(models: VisionModels, path: Path, opts: IngestOptions) -> list[Sighting]:
    video = PreparedVideo(path, probe(path), "c" * 64, "cam", START, None, None)
    return span_sightings(models, video, opts, START, None)


def carried_s(sightings: list[Sighting], t_cut_s: float) -> float:
    """How long past the cut a track that began before it went on (0: none did)."""
    t0 = START.timestamp()
    spans = [
        s.t_end_s - t0 - t_cut_s
        for s in sightings
        if s.t_start_s - t0 < t_cut_s - 1e-6 and s.t_end_s - t0 >= t_cut_s - 1e-6
    ]
    # A track ending on the first frame after the cut carried it that frame's 0.1 s.
    return max((sp + 1 / FPS for sp in spans), default=0.0)


def id_changes(sightings: list[Sighting]) -> int:
    """ID changes inside the shared video's passages (tracks beyond one per passage)."""
    t0 = START.timestamp()
    changes = 0
    for p0, p1 in PASSAGES_S:
        inside = [
            s
            for s in sightings
            if s.t_end_s - t0 > p0 + 0.5
            and s.t_start_s - t0 < p1 - 0.5
            and s.t_end_s - s.t_start_s > 1.0
        ]
        changes += max(0, len(inside) - 1)
    return changes


def scene_statistics(shared: list[ImageBGR], clips: list[Clip]) -> None:
    det = SceneCutDetector()
    normal = [scene_signature(im) for im in shared[::2]]
    changes = [scene_change(a, b, det.cell_change) for a, b in itertools.pairwise(normal)]
    print(
        f"scene change, shared video every 0.2 s ({len(changes)} pairs): cells changed at most "
        f"{max(c.changed_frac for c in changes):.2f}, histogram distance at most "
        f"{max(c.hist_distance for c in changes):.3f}"
    )
    for kind in ("gif-scene", "rendered", "other-passage"):
        at = [
            scene_change(
                scene_signature(c.frames[round(c.t_cut_s * FPS) - 1]),
                scene_signature(c.frames[round(c.t_cut_s * FPS)]),
                det.cell_change,
            )
            for c in clips
            if c.kind == kind
        ]
        print(
            f"  at the {kind} cuts: cells changed at least {min(c.changed_frac for c in at):.2f}, "
            f"histogram distance at least {min(c.hist_distance for c in at):.3f} "
            f"(cut at >= {det.cut_changed_frac} or >= {det.cut_hist_distance})"
        )


def timing(shared: list[ImageBGR], models: VisionModels) -> None:
    """What the new checks add per analysed frame, beside the person detector's time."""
    frames = shared[700:760:3]  # a passage: one person in view
    t0 = time.perf_counter()
    persons = [models.persons.detect(im) for im in frames]
    t1 = time.perf_counter()
    detector = SceneCutDetector()
    for k, im in enumerate(frames):
        detector.is_cut(im, k * 0.3, persons[k].box_xyxy, persons[k].box_xyxy)
    t2 = time.perf_counter()
    boxes = 0
    for im, p in zip(frames, persons, strict=True):
        colour_descriptors(im, p)
        boxes += len(p)
    t3 = time.perf_counter()
    n = len(frames)
    print(
        f"per analysed frame ({uptime()}): person detector {1000 * (t1 - t0) / n:.1f} ms, "
        f"scene check {1000 * (t2 - t1) / n:.2f} ms ({(t2 - t1) / (t1 - t0):.1%}), "
        f"colour per box {1000 * (t3 - t2) / max(boxes, 1):.2f} ms "
        f"({(t3 - t2) / (t1 - t0):.1%} with {boxes / n:.1f} boxes a frame)"
    )


def uptime() -> str:
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return "load unknown"
    return "load " + " ".join(load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts-per-kind", type=int, default=6)
    parser.add_argument("--skip-normal", action="store_true")
    parser.add_argument("--timing-only", action="store_true")
    args = parser.parse_args()
    t_begin = time.perf_counter()
    shared = load_frames(VIDEO)
    models = VisionModels.load()
    timing(shared, models)
    if args.timing_only:
        return
    clips = build_clips(shared, args.cuts_per_kind)
    old = IngestOptions(identity_breaks=False)
    new = IngestOptions(identity_breaks=True)
    scene_statistics(shared, clips)
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, clip in enumerate(clips):
            path = write_clip(clip.frames, Path(tmp) / f"clip{i}.mp4")
            c_old = carried_s(sightings_of(models, path, old), clip.t_cut_s)
            c_new = carried_s(sightings_of(models, path, new), clip.t_cut_s)
            results.setdefault(clip.kind, []).append((c_old, c_new))
            print(
                f"  {clip.kind:14s} {clip.label:34s} carried old {c_old:4.1f} s  new {c_new:4.1f} s"
            )
        print()
        print(
            f"{'kind':14s} {'clips':>5s} | {'old: carried':>12s} {'mean s':>6s} {'max s':>5s} | "
            f"{'new: carried':>12s} {'mean s':>6s} {'max s':>5s}"
        )
        for kind, rows in results.items():
            o = np.array([r[0] for r in rows])
            n = np.array([r[1] for r in rows])
            print(
                f"{kind:14s} {len(rows):5d} | {int((o > 0).sum()):12d} {o.mean():6.2f} "
                f"{o.max():5.2f} | {int((n > 0).sum()):12d} {n.mean():6.2f} {n.max():5.2f}"
            )
        if args.skip_normal:
            return
        print()
        print("normal footage (nothing should split): sightings old / new")
        whole_old = sightings_of(models, VIDEO, old)
        whole_new = sightings_of(models, VIDEO, new)
        print(
            f"  shared video (6 people): {len(whole_old)} / {len(whole_new)}, ID changes in "
            f"passages {id_changes(whole_old)} / {id_changes(whole_new)}"
        )
        for name in (*GIFS, *MORE_GIFS):
            path = write_clip(load_frames(DATA / name), Path(tmp) / "gif.mp4")
            print(
                f"  {name}: {len(sightings_of(models, path, old))} / "
                f"{len(sightings_of(models, path, new))}"
            )
        path = Path(tmp) / "cafe.mp4"
        cafe_clip().write(path)
        print(
            f"  café clip: {len(sightings_of(models, path, old))} / "
            f"{len(sightings_of(models, path, new))}"
        )
    print(f"\n{time.perf_counter() - t_begin:.0f} s in all")


if __name__ == "__main__":
    main()
