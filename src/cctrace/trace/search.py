"""Finding a patient's sightings: by face, then along tracks and across cameras.

1. Face: each case's reference embeddings are fused (see `reference_queries`), every
   query of the batch goes through the face index one UTC day at a time (each day's
   partition is read and multiplied once for all the cases whose window covers it), and
   each hit's score is then recomputed from the stored embedding for its own case, so a
   case's result does not depend on what else was in the batch.
2. Appearance: from each face-confirmed sighting, sightings of *other* cameras that look
   alike and that the patient could have walked to in time (and that contradict no other
   face-confirmed sighting) join with lower confidence.
3. Track: a sighting of the same camera starting right where a found one ends (or ending
   right where it starts), close on the floor and alike, continues it. Repeated until
   nothing new joins, so a person standing for 20 minutes (four 5-minute pieces) is
   followed even when the face showed in one piece only.

Every sighting any step sees is first clipped to its case's time window and region
(`CaseScope.clip`): nothing outside them ever comes back.

The steps live beside this orchestrator: `face_step` (1), `links` (2 and 3), `pool`
(the sightings read around what was found) and `scope` (the case's window and region).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.store.records import CameraRecord
from cctrace.store.repository import Store
from cctrace.trace.face_step import (
    FaceSearcher,
    FaceThreshold,
    face_search,
    not_vetoed,
    reference_queries,
)
from cctrace.trace.links import continue_tracks, extend_by_appearance
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.pool import SightingPool
from cctrace.trace.scope import CaseScope, Window, merge_intervals, merged_windows
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import CaseQuery, Progress, ScoredSighting, by_time


def find_patient_sightings(
    store: Store,
    index: FaceSearcher,
    queries: Sequence[CaseQuery],
    settings: TraceSettings | None = None,
    *,
    cameras: Sequence[CameraRecord] | None = None,
    pool: SightingPool | None = None,
    thresholds: dict[str, FaceThreshold] | None = None,
    progress: Progress | None = None,
) -> dict[str, list[ScoredSighting]]:
    """Each case's sightings (face, then appearance, then track evidence), by start time.

    One index pass and shared store reads serve the whole batch; ``pool`` lets a caller
    reuse those reads for contacts. ``thresholds``, if given, receives each case's face
    threshold (what an investigator should know about how strict the search was).
    ``progress`` hears the days of the face search and the steps after it (up to 0.5 of
    the trace; `cctrace.trace.engine` tells the rest).
    """
    settings = settings or TraceSettings()
    tell: Progress = progress or (lambda _stage, _done: None)

    def on_day(n: int, days: int) -> None:
        done = 0.02 + 0.38 * (n - 1) / days
        tell(f"searching the footage for the patient's face, day {n} of {days}", done)

    ids = [q.case_id for q in queries]
    if len(set(ids)) != len(ids):
        raise InputError("each case may appear only once in a batch trace")
    scopes = [CaseScope.of(q) for q in queries]
    pool = pool or SightingPool(store)
    camera_map = CameraMap(store.list_cameras() if cameras is None else cameras)
    faces, used = face_search(
        store, index, scopes, [q.reference_embeddings for q in queries], settings, on_day
    )
    if thresholds is not None:
        thresholds.update((q.case_id, t) for q, t in zip(queries, used, strict=True))
    found: list[dict[str, ScoredSighting]] = [
        {s.sighting.sighting_id: s for s in case} for case in faces
    ]

    # Appearance: only from face-confirmed seeds, so a look-alike never seeds another.
    tell("following the patient across cameras by appearance", 0.42)
    windows_of = [
        appearance_windows(scope, [f.sighting for f in seeds], camera_map, settings)
        for scope, seeds in zip(scopes, faces, strict=True)
    ]
    pool.fetch_alike(
        windows_of, [[f.sighting for f in seeds] for seeds in faces], settings.appearance_threshold
    )
    fused = [reference_queries(q.reference_embeddings, settings.face_fusion) for q in queries]
    for scope, seeds, windows, case, refs in zip(
        scopes, faces, windows_of, found, fused, strict=True
    ):
        candidates = not_vetoed(_candidates(pool, scope, windows, case), refs, settings)
        for s in extend_by_appearance(seeds, candidates, camera_map, settings):
            case[s.sighting.sighting_id] = s

    # Track: grow from what is new each round until nothing joins.
    tell("following the patient's tracks", 0.48)
    frontier = [list(case.values()) for case in found]
    while any(frontier):
        windows_of = [
            [_around(s.sighting, settings.track_max_gap_s, scope) for s in new]
            for scope, new in zip(scopes, frontier, strict=True)
        ]
        # Read well beyond the track gap: the next pieces of a long stay, and the
        # contacts of the whole stay, then come from this one read.
        pool.fetch(
            _around(s.sighting, settings.store_prefetch_s, scope)
            for scope, new in zip(scopes, frontier, strict=True)
            for s in new
        )
        for i, (scope, windows, case) in enumerate(zip(scopes, windows_of, found, strict=True)):
            candidates = not_vetoed(_candidates(pool, scope, windows, case), fused[i], settings)
            added = continue_tracks(list(case.values()), candidates, settings, camera_map)
            for s in added:
                case[s.sighting.sighting_id] = s
            frontier[i] = added
    return {
        q.case_id: sorted(case.values(), key=by_time)
        for q, case in zip(queries, found, strict=True)
    }


def appearance_windows(
    scope: CaseScope, seeds: Sequence[Sighting], cameras: CameraMap, settings: TraceSettings
) -> list[Window]:
    """Where appearance candidates of ``seeds`` may be: reachable cameras of the region,
    up to ``appearance_max_gap_s`` before and after each seed.

    A camera ``d`` metres away is read only from ``d / walking speed`` (less the slack)
    before and after the seed: nearer in time, nobody there could be the patient.
    While the face puts the patient somewhere without a break (seeds joined within
    ``track_max_gap_s``), a sighting lying wholly inside that time in a camera farther
    than ``reach_slack_m`` would be rejected as a contradiction anyway, so only the
    edges of such a presence are read there; cameras within the slack (overlapping
    views) are read over the whole span. In a busy place this reads a fraction of the
    rows, and decoding rows is most of a trace's time.
    """
    gap = settings.appearance_max_gap_s
    reach_m = settings.walking_speed_mps * gap + settings.reach_slack_m
    presence = merge_intervals(
        ((s.t_start_s, s.t_end_s) for s in seeds), join_gap_s=settings.track_max_gap_s
    )
    starts = np.array([lo for lo, _ in presence])
    windows = []
    for s in seeds:
        p_lo, p_hi = presence[int(np.searchsorted(starts, s.t_start_s, side="right")) - 1]
        # A seed more than `gap` inside its presence at both ends has no edge to read in
        # any camera beyond the slack (see below): only the overlapping views are left.
        inside = s.t_start_s - gap >= p_lo and s.t_end_s + gap <= p_hi
        near = [
            c
            for c in cameras.within(s.camera_id, settings.reach_slack_m if inside else reach_m)
            if c != s.camera_id and scope.admits_camera(c)
        ]
        if not near:
            continue
        lo, hi = max(s.t_start_s - gap, scope.t_from_s), min(s.t_end_s + gap, scope.t_to_s)
        distance = cameras.distances_m([s.camera_id], near)[0]
        for cam, d in zip(near, distance, strict=True):
            if d <= settings.reach_slack_m:
                windows.append(Window(cam, lo, hi))
                continue
            # Walking there takes at least `walk` seconds: a candidate linked to this
            # seed ends that long before it starts, or starts that long after it ends.
            walk = (d - settings.reach_slack_m) / settings.walking_speed_mps
            before, after = min(p_lo, s.t_start_s - walk), max(p_hi, s.t_end_s + walk)
            if lo < before:
                windows.append(Window(cam, lo, before))
            if after < hi:
                windows.append(Window(cam, after, hi))
    return windows


def _candidates(
    pool: SightingPool,
    scope: CaseScope,
    windows: Sequence[Window],
    found: dict[str, ScoredSighting],
) -> list[Sighting]:
    seen: dict[str, Sighting] = {}
    for cam, union in merged_windows(windows).items():
        for s in pool.in_spans(cam, union):
            if s.sighting_id not in found and s.sighting_id not in seen:
                clipped = scope.clip(s)
                if clipped is not None:
                    seen[s.sighting_id] = clipped
    return sorted(seen.values(), key=lambda s: (s.t_start_s, s.sighting_id))


def _around(s: Sighting, margin_s: float, scope: CaseScope) -> Window:
    return Window(
        s.camera_id,
        max(s.t_start_s - margin_s, scope.t_from_s),
        min(s.t_end_s + margin_s, scope.t_to_s),
    )
