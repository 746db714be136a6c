"""Person detection + ByteTracker on the whole shared Intel video, against a count by eye.

``one-by-one-person-detection.mp4`` (768x432, 10 fps, 139 s): six people cross an empty
room one at a time (passages counted by eye on a contact sheet, see
tests/tracking/test_video.py). Frames are sampled every 0.25 s by presentation time (the
ingestion default of about 4 per second), NanoDet finds persons, YuNet finds faces, and
the tracker runs on the detections; the same detections thinned to one frame per 0.5 s
and 1 s show how the tracker holds at lower sampling rates.

Prints, per sampling period: confirmed tracks, tracks longer than 1 s, the most tracks
seen on one frame, ID changes inside a passage (0 is right), and per track its span and
how many faces were linked to it; then the time per frame of each stage.

    .venv/bin/python benchmarks/bench_tracking.py
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cctrace.core.types import Detections, TrackedDetections
from cctrace.tracking import ByteTracker, link_faces_to_tracks
from cctrace.video.frames import iter_frames
from cctrace.vision.faces import YuNetFaceDetector
from cctrace.vision.persons import (
    PERSON_MIN_SCORE,
    PERSON_SCORE_THRESHOLD,
    create_person_detector,
)

VIDEO = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "intel-sample-videos"
    / "one-by-one-person-detection.mp4"
)
PASSAGES_S = ((6.5, 19.5), (23.0, 44.5), (50.7, 69.5), (74.7, 86.5), (92.9, 119.5), (123.8, 135.8))


@dataclass(frozen=True)
class SampledFrame:
    t_s: float
    persons: Detections
    faces: Detections


def detect_all(period_s: float) -> tuple[list[SampledFrame], float, float]:
    """Detections on frames every ``period_s``; also mean person and face ms per frame."""
    persons_det = create_person_detector(None)
    faces_det = YuNetFaceDetector()
    out: list[SampledFrame] = []
    person_s = face_s = 0.0
    next_t = 0.0
    for frame in iter_frames(VIDEO):
        if frame.t_s + 1e-6 < next_t:
            continue
        # A fixed time grid: at 10 fps and 0.25 s the steps alternate 0.3 s and 0.2 s.
        while next_t <= frame.t_s + 1e-6:
            next_t += period_s
        t0 = time.perf_counter()
        persons = persons_det.detect(frame.image_bgr)
        t1 = time.perf_counter()
        faces = faces_det.detect(frame.image_bgr)
        t2 = time.perf_counter()
        person_s += t1 - t0
        face_s += t2 - t1
        out.append(SampledFrame(frame.t_s, persons, faces))
    n = max(len(out), 1)
    return out, 1000 * person_s / n, 1000 * face_s / n


def thin(frames: list[SampledFrame], period_s: float) -> list[SampledFrame]:
    out, next_t = [], 0.0
    for f in frames:
        if f.t_s + 1e-6 >= next_t:
            out.append(f)
            while next_t <= f.t_s + 1e-6:
                next_t += period_s
    return out


def evaluate(frames: list[SampledFrame], label: str) -> float:
    """Run the tracker, print the summary line and per-track lines; returns ms per update."""
    tracker = ByteTracker()
    outputs: list[tuple[float, TrackedDetections]] = []
    faces_per_track: dict[int, int] = {}
    n_faces = n_linked = 0
    track_s = 0.0
    for f in frames:
        t0 = time.perf_counter()
        out = tracker.update(f.persons, f.t_s)
        track_s += time.perf_counter() - t0
        outputs.append((f.t_s, out))
        n_faces += len(f.faces)
        for tid in link_faces_to_tracks(out, f.faces).tolist():
            if tid >= 0:
                n_linked += 1
                faces_per_track[tid] = faces_per_track.get(tid, 0) + 1
    tracks = tracker.flush()
    longer = [t for t in tracks if t.duration_s > 1.0]
    most = max((len(o) for _, o in outputs), default=0)
    changes = 0
    dominant = []
    for start, end in PASSAGES_S:
        seq = [int(o.track_id[0]) for t, o in outputs if start <= t <= end and len(o)]
        changes += sum(1 for a, b in itertools.pairwise(seq) if a != b)
        if seq:
            ids, counts = np.unique(seq, return_counts=True)
            dominant.append(f"{ids[np.argmax(counts)]}:{counts.max() / len(seq):.0%}")
        else:
            dominant.append("none")
    print(
        f"{label}: {len(frames)} frames, {len(tracks)} confirmed tracks, "
        f"{len(longer)} longer than 1 s, {len(PASSAGES_S)} people by eye; "
        f"most tracks on one frame {most}; ID changes inside passages {changes}; "
        f"dominant ID per passage {' '.join(dominant)}; "
        f"faces detected {n_faces}, linked to a track {n_linked}"
    )
    for t in tracks:
        print(
            f"    track {t.track_id}: {t.t_start_s:6.1f}-{t.t_end_s:6.1f} s, {len(t)} boxes, "
            f"{faces_per_track.get(t.track_id, 0)} faces linked"
        )
    return 1000 * track_s / max(len(frames), 1)


def main() -> None:
    frames, person_ms, face_ms = detect_all(0.25)
    track_ms = evaluate(frames, "every 0.25 s")
    evaluate(thin(frames, 0.5), "every 0.5 s")
    evaluate(thin(frames, 1.0), "every 1 s")
    # The same frames as the detector gave them before weak boxes were kept (NMS is
    # greedy by score, so this subset is exactly what the 0.4 cut returned).
    confident = [
        SampledFrame(f.t_s, f.persons[f.persons.score >= PERSON_SCORE_THRESHOLD], f.faces)
        for f in frames
    ]
    weak = sum(len(f.persons) for f in frames) - sum(len(f.persons) for f in confident)
    print(f"weak boxes (score {PERSON_MIN_SCORE}-{PERSON_SCORE_THRESHOLD}) given above: {weak}")
    evaluate(confident, f"every 0.25 s, boxes >= {PERSON_SCORE_THRESHOLD} only (before)")
    print(
        f"per sampled frame: NanoDet persons {person_ms:.0f} ms, YuNet faces {face_ms:.0f} ms, "
        f"tracker update {track_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
