"""Distances and exposure at uncalibrated cameras, by mask, pose and occlusion (issue 15.6).

Rendered scenes with known truth (`cctrace.sim.contact_scene`: one uncalibrated camera,
the patient and a contact standing 1.0-1.7 m apart for 16 s, passers-by), each condition
over several seeds; optionally the demo's three-camera town (`--demo-seeds`), ingested
without its calibrations. Every video goes through the real ingestion (person detector,
tracker, faces, mask classifier); the contacts are then computed twice from the same
sightings: the height model's positions as ingested ("old", `foot_rows=False`) and
re-placed by foot row ("new", `cctrace.geometry.row_scale`). The patient's sightings
are the ones the truth names (box overlap): the route is not under test here.

Printed per condition, old and new side by side: the median absolute error of the
patient-contact distance over the time both are seen (m), the exposure found against
the true exposure within 2 m (ratio, and how many scenes are within ±50 %), and how
many masked contacts were reported masked (unmasked ones: reported not masked).
``--mask-old-new`` ingests every video twice, mask votes by the classifier alone (old)
and by the footage vote (`cctrace.vision.mask.footage_mask_votes`, new), and prints the
mask state reported for masked and bare contacts under both; ``--mask-small-old-new``
the same with the footage vote of faces of 20 px and more only (old) and with faces of
12-20 px voting by colour too (`small_face_mask_votes`, new).

``--face-old-new`` compares, both placed by foot row, the sightings without their face
widths (old: a box whose legs are hidden is placed by its top row) and with them (new:
by the body its face shows, `face_body_height`). ``--average-heads`` first scales every
face width to the head of an average adult: the renderer draws heads in proportion to
stature, so rendered faces tell a person's stature exactly, which real heads do not
(head breadth hardly follows stature).

    .venv/bin/python benchmarks/bench_distance.py --seeds 3 [--demo-seeds 7 11] [--mask-old-new]
    .venv/bin/python benchmarks/bench_distance.py --seeds 2 --mask-small-old-new
    .venv/bin/python benchmarks/bench_distance.py --seeds 8 --face-old-new [--average-heads]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cctrace.config import Policy
from cctrace.core.types import Detections, FloatArray, ImageBGR, Sighting
from cctrace.geometry.height import DEFAULT_PERSON_HEIGHT_M
from cctrace.ingest.inputs import IngestOptions, PreparedVideo, VisionModels
from cctrace.ingest.worker import span_sightings
from cctrace.sim.contact_scene import ContactCondition, make_contact_scenario
from cctrace.sim.render import (
    CameraRenderer,
    DemoScenario,
    FigureTruth,
    make_demo_scenario,
    render_video,
    scenario_truth,
)
from cctrace.store.records import CameraRecord
from cctrace.trace.contacts import (
    StayPresence,
    aligned_distance_series,
    find_contacts,
    merged_path,
    on_foot_rows,
)
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Stay
from cctrace.video.frames import probe
from cctrace.vision.analyze import FaceAnalyzer
from cctrace.vision.mask import DEFAULT_THRESHOLD as MASKED_PROBABILITY

CONDITIONS = {
    # One factor at a time from the plain case (rendering and ingesting a scene takes
    # minutes on this machine; the full product is 8 scenes per seed).
    "plain": ContactCondition(),
    "masked": ContactCondition(masked=True),
    "feet-cut": ContactCondition(pose="feet_cut"),
    "occluded": ContactCondition(occluded=True),
    "masked-feet-cut": ContactCondition(masked=True, pose="feet_cut"),
    "masked-occluded": ContactCondition(masked=True, occluded=True),
}
WITHIN_M = 2.0
POLICY = Policy(name="within-2m", distance_m=WITHIN_M, min_exposure_s=15 * 60)
"""Exposure as time within 2 m, masks or not: what the distances alone decide."""


@dataclass(frozen=True)
class Outcome:
    """One contact in one scene, old or new."""

    condition: str
    distance_error_m: float
    exposure_s: float
    true_exposure_s: float
    masked_reported: bool | None
    masked_true: bool


def _iou(a: NDArray[np.floating], b: NDArray[np.floating]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def who_is(renderer: CameraRenderer, s: Sighting, t0_epoch_s: float) -> str | None:
    """The scripted person whose drawn box overlaps the sighting's boxes most often."""
    votes: Counter[str | None] = Counter()
    assert s.path_box_xyxy is not None
    for t, box in zip(s.path_t_s[::2], s.path_box_xyxy[::2], strict=True):
        scores = [
            (_iou(box, f.box_xyxy), f.person.person_id) for f in renderer.figures_at(t - t0_epoch_s)
        ]
        best = max(scores, default=(0.0, None))
        votes[best[1] if best[0] > 0.3 else None] += 1
    return votes.most_common(1)[0][0]


def ingest_camera(
    scenario: DemoScenario,
    camera_id: str,
    models: VisionModels,
    folder: Path,
    options: Sequence[IngestOptions] = (IngestOptions(),),
) -> list[list[Sighting]]:
    """The camera's video rendered and ingested without calibration, once per options."""
    video = render_video(scenario, camera_id, folder / f"{scenario.seed}-{camera_id}.mp4")
    prepared = PreparedVideo(
        video.path,
        probe(video.path),
        f"{scenario.seed:032d}{camera_id:>32}"[:64],
        camera_id,
        video.start_utc,
        None,
        None,
    )
    return [span_sightings(models, prepared, o, video.start_utc, None) for o in options]


def contact_outcomes(
    scenario: DemoScenario,
    sightings: dict[str, list[Sighting]],
    label: str,
    only: str | None = None,
) -> dict[str, list[Outcome]]:
    """Old and new outcome of every true contact within 2 m of the patient (``only``:
    of that person only)."""
    truth = scenario_truth(scenario)
    t0 = scenario.start_utc.timestamp()
    out: dict[str, list[Outcome]] = {"old": [], "new": []}
    cams = CameraMap([CameraRecord(camera_id=c.camera_id, name=c.name) for c in scenario.cameras])
    for cam in scenario.cameras:
        ss = sightings.get(cam.camera_id, [])
        renderer = CameraRenderer(scenario, cam.camera_id)
        ids = {s.sighting_id: who_is(renderer, s, t0) for s in ss}
        mine = [s for s in ss if ids[s.sighting_id] == scenario.patient.person_id]
        mine_ids = {s.sighting_id for s in mine}
        if not mine:
            continue
        start, end = min(s.t_start_s for s in mine), max(s.t_end_s for s in mine)
        stay = Stay(
            cam.camera_id,
            "",
            start,
            end,
            1.0,
            float("nan"),
            "face",
            tuple(s.sighting_id for s in mine),
        )
        others = tuple(
            s
            for s in ss
            if s.sighting_id not in mine_ids and s.t_end_s >= start and s.t_start_s <= end
        )
        sizes = {s.video_id: cam.image_size_px for s in ss}
        presence = StayPresence(stay, tuple(mine), others)
        for true in truth.contacts:
            if true.camera_id != cam.camera_id or true.min_distance_m > WITHIN_M:
                continue
            if only is not None and true.person_id != only:
                continue
            theirs = [s for s in others if ids[s.sighting_id] == true.person_id]
            for version, foot_rows in (("old", False), ("new", True)):
                placed = on_foot_rows(presence, sizes) if foot_rows else presence
                error = _distance_error(placed, theirs, scenario, true.person_id)
                found = [
                    c
                    for c in find_contacts(
                        [presence], POLICY, TraceSettings(foot_rows=foot_rows), cams, sizes
                    )
                    if set(c.sighting_ids) & {s.sighting_id for s in theirs}
                ]
                out[version].append(
                    Outcome(
                        label,
                        error,
                        sum(c.exposure_s for c in found),
                        true.exposure_s(WITHIN_M),
                        found[0].contact_masked if found else None,
                        true.contact_masked,
                    )
                )
    return out


def without_faces(sightings: dict[str, list[Sighting]]) -> dict[str, list[Sighting]]:
    """The sightings as stored before face widths were kept."""
    return {c: [replace(s, path_face_px=None) for s in ss] for c, ss in sightings.items()}


def with_average_heads(
    scenario: DemoScenario, sightings: dict[str, list[Sighting]]
) -> dict[str, list[Sighting]]:
    """The sightings with every face width scaled from its person's drawn head to an
    average adult's (`DEFAULT_PERSON_HEIGHT_M` tall): what faces say of real people."""
    stature = {p.person_id: p.height_m for p in scenario.people}
    t0 = scenario.start_utc.timestamp()
    out: dict[str, list[Sighting]] = {}
    for camera_id, ss in sightings.items():
        renderer = CameraRenderer(scenario, camera_id)
        out[camera_id] = []
        for s in ss:
            who = who_is(renderer, s, t0)
            if s.path_face_px is not None and who in stature:
                s = replace(s, path_face_px=s.path_face_px * DEFAULT_PERSON_HEIGHT_M / stature[who])
            out[camera_id].append(s)
    return out


def _distance_error(
    presence: StayPresence, theirs: Sequence[Sighting], scenario: DemoScenario, person_id: str
) -> float:
    """Median |measured - true| patient-contact distance (m) over the time both are seen."""
    if not theirs:
        return float("nan")
    ids = {s.sighting_id for s in theirs}
    placed = [s for s in presence.others if s.sighting_id in ids]
    t_p, xy_p = merged_path(presence.patient)
    t_c, xy_c = merged_path(placed)
    k, d = aligned_distance_series(t_p, xy_p, t_c, xy_c, 0.25, 10.0)
    t0 = scenario.start_utc.timestamp()
    patient = scenario.patient
    other = next(p for p in scenario.people if p.person_id == person_id)
    errors = []
    for ki, di in zip(k, d, strict=True):
        t = ki * 0.25 - t0
        a, b = patient.pose_at(t), other.pose_at(t)
        if a is None or b is None or not np.isfinite(di):
            continue
        errors.append(abs(di - float(np.hypot(*(a.xy_m - b.xy_m)))))
    return statistics.median(errors) if errors else float("nan")


def summarise(rows: dict[str, list[Outcome]]) -> None:
    labels = list(dict.fromkeys(o.condition for o in rows["old"]))
    print(
        f"{'condition':44} {'n':>3}  {'dist err m old/new':>19}  {'exp ratio old/new':>18}  "
        f"{'±50% old/new':>12}  {'mask right old/new':>18}"
    )
    for label in [*labels, "all"]:
        cells = []
        for version in ("old", "new"):
            o = [x for x in rows[version] if label in ("all", x.condition)]
            err = [x.distance_error_m for x in o if np.isfinite(x.distance_error_m)]
            ratio = [x.exposure_s / x.true_exposure_s for x in o if x.true_exposure_s > 0]
            ok = sum(1 for r in ratio if 0.5 <= r <= 1.5)
            mask = sum(1 for x in o if (x.masked_reported is True) == x.masked_true)
            cells.append(
                (
                    len(o),
                    statistics.median(err) if err else float("nan"),
                    statistics.median(ratio) if ratio else float("nan"),
                    ok,
                    len(ratio),
                    mask,
                )
            )
        (n, e0, r0, k0, m0, a0), (_, e1, r1, k1, _, a1) = cells
        print(
            f"{label:44} {n:3d}  {e0:8.2f} / {e1:8.2f}  {r0:8.2f} / {r1:7.2f}  "
            f"{k0:4d} / {k1:2d} of {m0:<2d} {a0:6d} / {a1:2d} of {n}"
        )


def summarise_masks(masks: dict[str, list[Outcome]], old: str, new: str) -> None:
    """The mask state reported for each true contact under the old and the new mask
    vote (named ``old`` and ``new``), by truth."""

    def said(o: Outcome) -> str:
        return {True: "masked", False: "not masked", None: "unknown"}[o.masked_reported]

    print(f"\nmask state reported for the contact (old: {old} / new: {new})")
    for truth in (True, False):
        for version in ("old", "new"):
            o = [x for x in masks[version] if x.masked_true is truth]
            tally = Counter(said(x) for x in o)
            print(
                f"  {'masked' if truth else 'bare':6} contacts, {version}: "
                + ", ".join(f"{k} {tally[k]}" for k in ("masked", "not masked", "unknown"))
                + f" (of {len(o)})"
            )


def rendered_faces_with_truth(
    analyzer: FaceAnalyzer, seeds: int
) -> Iterator[tuple[ImageBGR, Detections, list[FigureTruth | None]]]:
    """Per rendered frame of the contact scenes (plain and feet-cut, with and without a
    mask): the image, the faces the ingestion's face cascade finds in the head regions
    of the true person boxes, and each face's figure (None where it lies on no figure's
    face)."""
    for seed, masked, pose in itertools.product(
        range(1, seeds + 1), (False, True), ("whole", "feet_cut")
    ):
        scenario = make_contact_scenario(seed, ContactCondition(masked, pose))  # type: ignore[arg-type]
        renderer = CameraRenderer(scenario, scenario.cameras[0].camera_id)
        for i, t in enumerate(np.arange(0.5, 16.0, 2.5)):
            frame = renderer.render(float(t), i, with_truth=True)
            figures = [f for f in frame.figures if f.visible_fraction > 0.3]
            if not figures:
                continue
            h, w = frame.image_bgr.shape[:2]
            boxes = np.array([np.clip(f.box_xyxy, 0, [w, h, w, h]) for f in figures], np.float32)
            persons = Detections(boxes, np.ones(len(figures), np.float32))
            faces = analyzer.find(frame.image_bgr, persons, cascade=True)
            yield frame.image_bgr, faces, [_owner(box, figures) for box in faces.box_xyxy]


def _owner(face_xyxy: FloatArray, figures: Sequence[FigureTruth]) -> FigureTruth | None:
    """The figure whose true face box (3 px margin) holds the found face's centre."""
    cx, cy = (face_xyxy[0] + face_xyxy[2]) / 2, (face_xyxy[1] + face_xyxy[3]) / 2
    for f in figures:
        b = f.face_box_xyxy
        if b is not None and b[0] - 3 <= cx <= b[2] + 3 and b[1] - 3 <= cy <= b[3] + 3:
            return f
    return None


def face_masks(seeds: int) -> None:
    """Per face: the mask classifier's vote on the rendered faces the ingestion's face
    cascade finds (head regions of the true person boxes), by face width, against the
    truth (masked or not), over plain and feet-cut scenes with and without a mask."""
    analyzer = FaceAnalyzer()
    votes: list[tuple[bool, float, float]] = []  # masked truly, probability, width px
    for image, found, owners in rendered_faces_with_truth(analyzer, seeds):
        if not any(owners):
            continue
        faces = analyzer.describe(image, found)
        for j, f in enumerate(owners):
            if f is not None:
                x0, _, x1, _ = faces.faces.box_xyxy[j]
                votes.append((f.masked, float(faces.mask_probability[j]), float(x1 - x0)))
    print("faces found on rendered contact scenes: the mask vote by face width")
    for lo, hi in ((0, 16), (16, 24), (24, 40), (40, 10_000)):
        sel = [v for v in votes if lo <= v[2] < hi]
        m_ok = sum(1 for v in sel if v[0] and v[1] >= MASKED_PROBABILITY)
        m_n = sum(1 for v in sel if v[0])
        u_ok = sum(1 for v in sel if not v[0] and v[1] < MASKED_PROBABILITY)
        u_n = sum(1 for v in sel if not v[0])
        print(
            f"  {lo:3d}-{hi:<5d} px: masked voted masked {m_ok}/{m_n}, "
            f"unmasked voted unmasked {u_ok}/{u_n}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="contact scenes per condition")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument(
        "--conditions",
        nargs="*",
        choices=sorted(CONDITIONS),
        default=["plain", "masked", "feet-cut", "occluded"],
    )
    parser.add_argument("--demo-seeds", type=int, nargs="*", default=[])
    parser.add_argument(
        "--face-masks", action="store_true", help="only the per-face mask votes by width"
    )
    parser.add_argument(
        "--mask-old-new",
        action="store_true",
        help="ingest twice: mask votes by the classifier alone (old) and the footage vote (new)",
    )
    parser.add_argument(
        "--mask-small-old-new",
        action="store_true",
        help="ingest twice: faces under 20 px without a mask vote (old) and with one (new)",
    )
    parser.add_argument(
        "--face-old-new",
        action="store_true",
        help="old: sightings without face widths, new: with them (both by foot row)",
    )
    parser.add_argument(
        "--average-heads",
        action="store_true",
        help="scale face widths to an average adult's head before the trace",
    )
    args = parser.parse_args()
    twice = args.mask_old_new or args.mask_small_old_new
    if args.face_masks:
        face_masks(args.seeds)
        return
    models = VisionModels.load()
    rows: dict[str, list[Outcome]] = {"old": [], "new": []}
    # With --mask-old-new every video is ingested twice: mask votes by the classifier
    # alone (as before issue 15.6's fix) and the footage vote; everything else is equal.
    options: tuple[IngestOptions, ...] = (IngestOptions(),)
    if args.mask_old_new:
        options = (IngestOptions(mask_colour_check=False), IngestOptions())
    elif args.mask_small_old_new:
        options = (IngestOptions(mask_small_faces=False), IngestOptions())
    masks: dict[str, list[Outcome]] = {"old": [], "new": []}

    def add(
        scenario: DemoScenario, found: list[dict[str, list[Sighting]]], label: str, only: str | None
    ) -> list[Outcome]:
        """Adds the scene's outcomes (distances from the last options' sightings);
        returns them, old then new."""
        if args.average_heads:
            found = [with_average_heads(scenario, f) for f in found]
        now = contact_outcomes(scenario, found[-1], label, only)
        if args.face_old_new:
            now = {
                "old": contact_outcomes(scenario, without_faces(found[-1]), label, only)["new"],
                "new": now["new"],
            }
        for version, outcomes in now.items():
            rows[version] += outcomes
        if twice:
            masks["old"] += contact_outcomes(scenario, found[0], label, only)["new"]
            masks["new"] += now["new"]
        return now["old"] + now["new"]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        conditions = [CONDITIONS[name] for name in args.conditions]
        for condition, seed in itertools.product(
            conditions, range(args.first_seed, args.first_seed + args.seeds)
        ):
            scenario = make_contact_scenario(seed, condition)
            cam = scenario.cameras[0].camera_id
            per_options = ingest_camera(scenario, cam, models, folder, options)
            for o in add(scenario, [{cam: ss} for ss in per_options], condition.label, "contact"):
                print(f"  seed {seed}: {o}", flush=True)
        for seed in args.demo_seeds:
            scenario = make_demo_scenario(seed=seed)
            by_camera = {
                c.camera_id: ingest_camera(scenario, c.camera_id, models, folder, options)
                for c in scenario.cameras
            }
            found = [{c: ss[i] for c, ss in by_camera.items()} for i in range(len(options))]
            for o in add(scenario, found, "demo town, 3 cameras", None):
                print(f"  demo seed {seed}: {o}", flush=True)
    summarise(rows)
    if args.mask_old_new:
        summarise_masks(masks, "classifier alone", "footage vote from 20 px")
    elif args.mask_small_old_new:
        summarise_masks(masks, "footage vote from 20 px", "and colour vote from 12 px")


if __name__ == "__main__":
    main()
