"""How long a track carries an identity past a scene change, old (tracker alone) and new
(scene cuts and identity jumps end tracks) side by side, over a sweep of cut points.

Edited clips are built from the shared material: a passage of the shared video
(``one-by-one-person-detection.mp4``, a person walking through the room) cut mid-walk

- ``other-passage``: into another passage of the same view (another person, same room:
  a camera whose picture jumps in time);
- ``gif-scene``: into one of the GIF scenes of the same folder (another camera);
- ``freeze-jump``: the last frame repeated for 1.5 s (a recorder freezing), then into
  another passage;
- ``walking``: while the person walks in (12-16 % of the passage, before the table where
  every passage's walker stops) into another passage at the same stage: the next person
  is walking too, on the same path;
- ``rendered``: into the rendered café scene of the test suite (tests/cafe.py).

Each clip runs through the real frame loop (`cctrace.ingest.frame_loop.analyse_video`, all
models) under each of `RULES`: the tracker alone, scene cuts with the colour and face
rules, those with the box content rule while every other sample is skipped in a calm
scene (the previous default), and with every sample analysed while a tracked person's
picture changes fast (the default). Printed per kind: clips, clips where some
track began before the cut and went on after it, and the time it went on past the cut
(mean, largest). Then normal footage, where nothing should split: sightings under each
on the whole shared video (6 people), the GIF scenes, the café clip and the shared
video's first minute at 1080p, and the ID changes inside the shared video's passages
(0 is right).

With ``--fps`` below `IngestOptions.changing_min_fps` (a camera sampled sparsely), every
rule samples at that rate, and the last one is shown without and with the floor that
samples at least ``changing_min_fps`` while a picture changes fast.

    nice -n 5 .venv/bin/python benchmarks/bench_cuts.py [--cuts-per-kind 6] [--first-cut 6]
    nice -n 5 .venv/bin/python benchmarks/bench_cuts.py --fps 2 --kinds walking --skip-normal
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from cctrace.core.types import ImageBGR, Sighting
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.render import encode_h264
from cctrace.tracking.identity import box_content
from cctrace.tracking.scene import SceneCutDetector, scene_change, scene_signature
from cctrace.video.clips import make_clip
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
RULES = {
    "tracker alone": IngestOptions(identity_breaks=False),
    "colour, faces": IngestOptions(identity_breaks=True, identity_content=False),
    "box content, calm rate": IngestOptions(identity_breaks=True, full_rate_while_changing=False),
    "and full rate while changing": IngestOptions(identity_breaks=True),
}
"""What ends or splits a track, from none (old) to all (new)."""


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


def build_clips(shared: list[ImageBGR], cuts_per_kind: int, first_cut: int = 0) -> list[Clip]:
    n_before, n_after = round(BEFORE_S * FPS), round(AFTER_S * FPS)
    gifs = {name: load_frames(DATA / name) for name in GIFS}
    cafe = cafe_clip()
    step = max(1, round(cafe.fps / FPS))
    rendered = [cv2.resize(im, SIZE, interpolation=cv2.INTER_AREA) for im in cafe.frames(5.0)][
        ::step
    ]
    clips: list[Clip] = []
    for k in range(first_cut, first_cut + cuts_per_kind):
        # Cut points spread over every passage and over each passage's middle half.
        n = len(PASSAGES_S)
        # Into another passage (another person): never a's own, so from cut point 30 on
        # the offsets start again at the next passage.
        a = k % n
        b = (a + 1 + (k // n) % (n - 1)) % n
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
        walk_a = round((t0 + (0.12 + 0.02 * (k % 3)) * (t1 - t0)) * FPS)
        walk_b = round((u0 + (0.12 + 0.02 * ((k + 1) % 3)) * (u1 - u0)) * FPS)
        clips.append(
            Clip(
                "walking",
                f"{walk_a / FPS:.1f}s->{walk_b / FPS:.1f}s",
                shared[walk_a - n_before : walk_a] + shared[walk_b : walk_b + n_after],
                t_cut,
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
    for kind in ("gif-scene", "rendered", "other-passage", "walking"):
        at = [
            scene_change(
                scene_signature(c.frames[round(c.t_cut_s * FPS) - 1]),
                scene_signature(c.frames[round(c.t_cut_s * FPS)]),
                det.cell_change,
            )
            for c in clips
            if c.kind == kind
        ]
        if not at:
            continue
        print(
            f"  at the {kind} cuts: cells changed at least {min(c.changed_frac for c in at):.2f}, "
            f"histogram distance at least {min(c.hist_distance for c in at):.3f} "
            f"(cut at >= {det.cut_changed_frac} or >= {det.cut_hist_distance})"
        )


def timing(shared: list[ImageBGR], models: VisionModels, repeats: int = 3) -> None:
    """What the new checks add per analysed frame, beside the person detector's time:
    each step timed ``repeats`` times over the same frames, the fastest kept (on a
    shared machine the slower runs measure the other processes)."""
    frames = shared[700:760:3]  # a passage: one person in view
    persons = [models.persons.detect(im) for im in frames]
    n = len(frames)
    boxes = sum(len(p) for p in persons)

    def detect() -> None:
        for im in frames:
            models.persons.detect(im)

    def scene() -> None:
        detector = SceneCutDetector()
        for k, im in enumerate(frames):
            detector.is_cut(im, k * 0.3, persons[k].box_xyxy, persons[k].box_xyxy)

    def colour() -> None:
        for im, p in zip(frames, persons, strict=True):
            colour_descriptors(im, p)

    def content() -> None:
        for before, im, p in zip([None, *frames], frames, persons, strict=False):
            box_content(im, before, p.box_xyxy)

    def fastest_ms(step: Callable[[], None]) -> float:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        return 1000 * min(times)

    colour()  # OpenCV's first calls set up
    content()
    detector_ms, scene_ms, colour_ms, content_ms = (
        fastest_ms(s) for s in (detect, scene, colour, content)
    )
    print(
        f"per analysed frame ({uptime()}, fastest of {repeats}, {boxes / n:.1f} boxes a frame): "
        f"person detector {detector_ms / n:.1f} ms, scene check {scene_ms / n:.2f} ms "
        f"({scene_ms / detector_ms:.1%}), colour per box {colour_ms / max(boxes, 1):.2f} ms "
        f"({colour_ms / detector_ms:.1%}), box content per box "
        f"{content_ms / max(boxes, 1):.3f} ms ({content_ms / detector_ms:.2%})"
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
    parser.add_argument(
        "--first-cut", type=int, default=0, help="sweep cut points from this one (held-out: 6)"
    )
    parser.add_argument("--kinds", default="", help="comma-separated kinds of cut (default all)")
    parser.add_argument("--skip-normal", action="store_true")
    parser.add_argument("--normal-only", action="store_true", help="no edited clips")
    parser.add_argument("--timing-only", action="store_true")
    parser.add_argument(
        "--fps",
        type=float,
        default=IngestOptions.sample_fps,
        help="samples per second under every rule; below the floor while a picture changes "
        "(changing_min_fps), one more rule shows the full rate without that floor",
    )
    args = parser.parse_args()
    rules = {n: replace(o, sample_fps=args.fps) for n, o in RULES.items()}
    if args.fps < IngestOptions.changing_min_fps:
        newest = rules.pop("and full rate while changing")
        rules["full rate, no floor"] = replace(newest, changing_min_fps=args.fps)
        rules["and the floor"] = newest
    t_begin = time.perf_counter()
    shared = load_frames(VIDEO)
    models = VisionModels.load()
    timing(shared, models)
    if args.timing_only:
        return
    clips = [
        c
        for c in build_clips(shared, args.cuts_per_kind, args.first_cut)
        if (not args.kinds or c.kind in args.kinds.split(",")) and not args.normal_only
    ]
    scene_statistics(shared, clips)
    names = tuple(rules)
    results: dict[str, list[list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, clip in enumerate(clips):
            path = write_clip(clip.frames, Path(tmp) / f"clip{i}.mp4")
            row = [carried_s(sightings_of(models, path, rules[n]), clip.t_cut_s) for n in names]
            results.setdefault(clip.kind, []).append(row)
            print(
                f"  {clip.kind:14s} {clip.label:34s} carried "
                + " / ".join(f"{c:4.1f}" for c in row)
                + " s"
            )
        print()
        print("carried past the cut (clips carried, mean s, max s): " + " | ".join(names))
        for kind, rows in results.items():
            table = np.array(rows)
            print(
                f"{kind:14s} {len(rows):3d} clips | "
                + " | ".join(
                    f"{int((table[:, j] > 0).sum()):2d} {table[:, j].mean():5.2f} "
                    f"{table[:, j].max():5.2f}"
                    for j in range(len(names))
                )
            )
        if args.skip_normal:
            return
        print()
        print("normal footage (nothing should split): sightings " + " / ".join(names))
        whole = [sightings_of(models, VIDEO, rules[n]) for n in names]
        print(
            f"  shared video (6 people): {' / '.join(str(len(w)) for w in whole)}, "
            f"ID changes in passages {' / '.join(str(id_changes(w)) for w in whole)}"
        )
        normal: list[tuple[str, Path]] = []
        for name in (*GIFS, *MORE_GIFS):
            path = write_clip(load_frames(DATA / name), Path(tmp) / f"{name}.mp4")
            normal.append((name, path))
        cafe = Path(tmp) / "cafe.mp4"
        cafe_clip().write(cafe)
        normal.append(("café clip", cafe))
        # bench_ingest's busy 1080p clip: the shared video's first minute upscaled.
        hd = make_clip(VIDEO, Path(tmp) / "hd.mp4", 0, 600, scale_to=(1920, 1080))
        normal.append(("shared video's first 60 s at 1080p", hd))
        for label, path in normal:
            counts = [len(sightings_of(models, path, rules[n])) for n in names]
            print(f"  {label}: {' / '.join(str(c) for c in counts)}")
    print(f"\n{time.perf_counter() - t_begin:.0f} s in all")


if __name__ == "__main__":
    main()
