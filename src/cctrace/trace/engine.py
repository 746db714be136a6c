"""Tracing a batch of cases: patient sightings, route, contacts, risk.

The batch shares its work: one pass over the face index for every case (each UTC day
read once), and the store read once per camera and span for everything any case needs
(`SightingPool`). Each case still sees only its own time window and region, and its
result does not depend on what else was in the batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from cctrace.config import Policy
from cctrace.store.repository import Store
from cctrace.trace.contacts import StayPresence, find_contacts
from cctrace.trace.face_step import FaceSearcher, FaceThreshold
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.pool import SightingPool
from cctrace.trace.route import build_route
from cctrace.trace.scope import CaseScope, Window
from cctrace.trace.search import find_patient_sightings
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import CaseQuery, Progress, TraceResult

__all__ = ["Progress", "TraceSettings", "trace_cases"]


def _frame_sizes(store: Store, presences: Sequence[StayPresence]) -> dict[str, tuple[int, int]]:
    """(width, height) of each video that an uncalibrated camera's sighting came from:
    contacts there need to know which boxes a frame edge cut."""
    ids = {s.video_id for p in presences for s in (*p.patient, *p.others) if s.path_approximate}
    out = {}
    for video_id in sorted(ids):
        video = store.video_by_id(video_id)
        if video is not None:
            out[video_id] = (video.width, video.height)
    return out


def trace_cases(
    store: Store,
    index: FaceSearcher,
    queries: Sequence[CaseQuery],
    policy: Policy,
    settings: TraceSettings | None = None,
    progress: Progress | None = None,
) -> list[TraceResult]:
    """One result per query, in order. ``elapsed_s`` is the whole batch's wall time (what
    the investigator waited), the same for every result of one call.

    ``progress`` hears each stage as it starts; the fractions are the stages' shares of a
    trace of a large city (the face search dominates)."""
    started = time.perf_counter()
    settings = settings or TraceSettings()
    tell: Progress = progress or (lambda _stage, _done: None)
    tell("searching the footage for the patient's face", 0.02)
    cameras = CameraMap(store.list_cameras())
    pool = SightingPool(store)
    thresholds: dict[str, FaceThreshold] = {}
    found = find_patient_sightings(
        store,
        index,
        queries,
        settings,
        cameras=list(cameras.cameras.values()),
        pool=pool,
        thresholds=thresholds,
        progress=tell,
    )
    tell("building the route", 0.55)
    routes = {
        q.case_id: build_route(found[q.case_id], cameras.cameras, settings.route_merge_gap_s)
        for q in queries
    }

    # A stay's contacts are in its camera's view and, where calibrations share a floor
    # frame, in the views beside it (distances in one plan): read those cameras too.
    def views(camera_id: str) -> tuple[str, ...]:
        return (camera_id, *cameras.sharing_frame(camera_id, settings.shared_frame_radius_m))

    tell("reading who else was at each stay", 0.6)
    pool.fetch(
        Window(cam, stay.t_start_s, stay.t_end_s)
        for route in routes.values()
        for stay in route
        for cam in views(stay.camera_id)
    )
    contacts = {}
    for n, q in enumerate(queries):
        tell("measuring distances to the contacts", 0.75 + 0.2 * n / len(queries))
        scope = CaseScope.of(q)
        mine = {s.sighting.sighting_id: s.sighting for s in found[q.case_id]}
        presences = [
            StayPresence(
                stay,
                tuple(mine[i] for i in stay.sighting_ids),
                tuple(
                    s
                    for cam in views(stay.camera_id)
                    for s in scope.clip_all(
                        pool.in_window(Window(cam, stay.t_start_s, stay.t_end_s))
                    )
                    if s.sighting_id not in mine
                ),
            )
            for stay in routes[q.case_id]
        ]
        contacts[q.case_id] = find_contacts(
            presences, policy, settings, cameras, _frame_sizes(store, presences)
        )
    elapsed = time.perf_counter() - started
    return [
        TraceResult(
            q.case_id,
            policy.name,
            elapsed,
            routes[q.case_id],
            contacts[q.case_id],
            thresholds[q.case_id].threshold,
            thresholds[q.case_id].faces_searched,
        )
        for q in queries
    ]
