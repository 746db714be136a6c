"""Links from a found sighting to more of the patient: across cameras by appearance
(`extend_by_appearance`), along one camera's tracks (`continue_tracks`), each refused
where it would put the patient in two places at once or contradict a face-confirmed
sighting (`elsewhere_at_once`, `contradicts_faces`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Sighting
from cctrace.trace.contacts import aligned_distance_series
from cctrace.trace.face_step import margin_confidence
from cctrace.trace.plausibility import (
    F64,
    CameraMap,
    appearance_similarity_of,
    path_end_points,
    reachable,
    self_consistent_threshold,
    sighting_intervals,
    time_gap_s,
    time_overlap_s,
)
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Evidence, ScoredSighting


def extend_by_appearance(
    seeds: Sequence[ScoredSighting],
    candidates: Sequence[Sighting],
    cameras: CameraMap,
    settings: TraceSettings,
) -> list[ScoredSighting]:
    """Candidates (not yet found) that are the patient by appearance, each at most once.

    A candidate joins when, for some face-confirmed seed in *another* camera, it lies
    within ``appearance_max_gap_s``, is reachable at walking speed and looks alike (at
    least ``appearance_threshold``, and with ``appearance_self_spread`` about as alike
    as the patient's face-confirmed sightings look to each other:
    `self_consistent_threshold`); and
    it contradicts no face-confirmed seed (too far to walk in the time between them, in
    an unknown place at the same time, or a second person beside the patient in one
    camera). With ``appearance_consistent_only`` the candidates so linked must also be
    possible together, as one person's route: best look first, each one kept only if it
    contradicts none kept before it. Its confidence is the best such seed's, times the
    appearance factor and margin term.
    """
    faces = [s for s in seeds if s.evidence == "face"]
    if not faces or not candidates:
        return []
    f_s = [s.sighting for s in faces]
    f0, f1 = sighting_intervals(f_s)
    c0, c1 = sighting_intervals(candidates)
    f_cam = np.array([s.camera_id for s in f_s], dtype=object)
    c_cam = np.array([s.camera_id for s in candidates], dtype=object)
    same_cam = f_cam[:, None] == c_cam[None, :]
    distance = cameras.distances_m([s.camera_id for s in f_s], [s.camera_id for s in candidates])
    gap = time_gap_s(f0, f1, c0, c1)
    overlap = time_overlap_s(f0, f1, c0, c1)
    can_walk = reachable(distance, gap, settings.walking_speed_mps, settings.reach_slack_m)
    looks = appearance_similarity_of(f_s, candidates)
    threshold = settings.appearance_threshold
    if settings.appearance_self_spread is not None:
        threshold = self_consistent_threshold(
            f_s, threshold, settings.appearance_self_spread, settings.appearance_self_min_pairs
        )
    with np.errstate(invalid="ignore"):
        alike = looks >= threshold
    link = ~same_cam & (gap <= settings.appearance_max_gap_s) & can_walk & alike
    conflict = _contradiction(same_cam, distance, gap, overlap, settings)
    conflict |= elsewhere_at_once(f_s, candidates, overlap, cameras, settings)
    link = link & ~np.asarray(conflict.any(axis=0), np.bool_)[None, :]
    if settings.appearance_consistent_only:
        link = link & _consistent_columns(link, looks, candidates, cameras, settings)[None, :]
    accepted = link.any(axis=0)
    seed_conf = np.array([s.confidence for s in faces])
    margin = margin_confidence(
        np.nan_to_num(looks, nan=0.0),
        settings.appearance_threshold,
        settings.appearance_full_confidence_margin,
    )
    score = np.where(link, seed_conf[:, None] * margin, -1.0)
    out = []
    for c in np.flatnonzero(accepted):
        f = int(np.argmax(score[:, c]))
        out.append(
            ScoredSighting(
                candidates[c],
                "appearance",
                float(score[f, c] * settings.appearance_confidence_factor),
                float(looks[f, c]),
                f_s[f].sighting_id,
            )
        )
    return out


def _consistent_columns(
    link: NDArray[np.bool_],
    looks: F64,
    candidates: Sequence[Sighting],
    cameras: CameraMap,
    settings: TraceSettings,
) -> NDArray[np.bool_]:
    """(C,) the linked candidates one person could all have been: the patient is in one
    place at a time, so of two look-alikes that contradict each other (at once in two
    places, or too far apart to walk in the time between) only the more alike is kept,
    greedily, best look first. In a dense city hundreds of strangers are reachable from
    a face sighting and some pass any appearance threshold by chance; they seldom make
    a walkable route together."""
    linked = np.flatnonzero(link.any(axis=0))
    keep = np.zeros(len(candidates), np.bool_)
    if len(linked) < 2:
        keep[linked] = True
        return keep
    sub = [candidates[i] for i in linked]
    c0, c1 = sighting_intervals(sub)
    cam = np.array([s.camera_id for s in sub], dtype=object)
    clash = _contradiction(
        cam[:, None] == cam[None, :],
        cameras.distances_m(list(cam), list(cam)),
        time_gap_s(c0, c1, c0, c1),
        time_overlap_s(c0, c1, c0, c1),
        settings,
    )
    best = np.nanmax(np.where(link[:, linked], looks[:, linked], np.nan), axis=0)
    chosen: list[int] = []
    for j in np.argsort(-best, kind="stable"):
        if not any(clash[j, k] for k in chosen):
            chosen.append(int(j))
    keep[linked[chosen]] = True
    return keep


def _contradiction(
    same_cam: NDArray[np.bool_], distance_m: F64, gap_s: F64, overlap_s: F64, s: TraceSettings
) -> NDArray[np.bool_]:
    """(F, C) where candidate C cannot be the patient given face-confirmed sighting F:
    too far to walk in the time between them, in a place of unknown distance at the same
    time, or a second person beside the patient in one camera."""
    known = np.isfinite(distance_m)
    can_walk = reachable(distance_m, gap_s, s.walking_speed_mps, s.reach_slack_m)
    return np.asarray(
        (known & ~can_walk)
        | (~known & ~same_cam & (overlap_s > 0))
        | (same_cam & (overlap_s > s.track_max_overlap_s)),
        np.bool_,
    )


def elsewhere_at_once(
    faces: Sequence[Sighting],
    candidates: Sequence[Sighting],
    overlap_s: F64,
    cameras: CameraMap,
    settings: TraceSettings,
) -> NDArray[np.bool_]:
    """(F, C) where candidate C is seen at the same instants as face-confirmed sighting F
    in another view of the same floor plan, and the two stand more than
    ``same_instant_max_m`` apart there (median over the shared instants): two bodies,
    so not the patient. Camera distances cannot tell this: two views of one room are a
    few metres apart, within any walking slack."""
    out = np.zeros((len(faces), len(candidates)), np.bool_)
    limit = settings.same_instant_max_m
    if limit is None or not len(faces) or not len(candidates):
        return out
    frames = {s.camera_id: cameras.floor_frame(s.camera_id) for s in (*faces, *candidates)}
    for f, c in zip(*np.nonzero(overlap_s > 0), strict=True):
        a, b = faces[int(f)], candidates[int(c)]
        frame = frames[a.camera_id]
        if (
            a.camera_id == b.camera_id
            or frame is None
            or frames[b.camera_id] != frame
            or a.path_approximate
            or b.path_approximate
        ):
            continue
        _, d = aligned_distance_series(
            a.path_t_s,
            a.path_floor_xy_m,
            b.path_t_s,
            b.path_floor_xy_m,
            settings.distance_step_s,
            settings.path_max_gap_s,
        )
        if np.isfinite(d).any() and float(np.nanmedian(d)) > limit:
            out[f, c] = True
    return out


def contradicts_faces(
    found: Sequence[ScoredSighting],
    candidates: Sequence[Sighting],
    cameras: CameraMap,
    settings: TraceSettings,
) -> NDArray[np.bool_]:
    """(C,) whether each candidate contradicts some face-confirmed sighting of ``found``
    (see `_contradiction`): the face puts the patient elsewhere at that time."""
    faces = [f.sighting for f in found if f.evidence == "face"]
    if not faces or not candidates:
        return np.zeros((len(candidates),), np.bool_)
    f0, f1 = sighting_intervals(faces)
    c0, c1 = sighting_intervals(candidates)
    same_cam = (
        np.array([s.camera_id for s in faces], dtype=object)[:, None]
        == np.array([s.camera_id for s in candidates], dtype=object)[None, :]
    )
    distance = cameras.distances_m([s.camera_id for s in faces], [s.camera_id for s in candidates])
    overlap = time_overlap_s(f0, f1, c0, c1)
    conflict = _contradiction(same_cam, distance, time_gap_s(f0, f1, c0, c1), overlap, settings)
    conflict |= elsewhere_at_once(faces, candidates, overlap, cameras, settings)
    return np.asarray(conflict.any(axis=0), np.bool_)


def continue_tracks(
    found: Sequence[ScoredSighting],
    candidates: Sequence[Sighting],
    settings: TraceSettings,
    cameras: CameraMap | None = None,
) -> list[ScoredSighting]:
    """Candidates (not yet found) that continue a found sighting in the same camera.

    A continuation starts within ``track_max_gap_s`` after a found one ends (or ends that
    long before it starts), overlapping it by at most ``track_max_overlap_s``, within
    ``track_max_jump_m`` plus walking speed times the gap of its end point, and looks
    alike. Each found sighting keeps only its most alike continuation per direction; a
    candidate overlapping a found sighting of its camera is someone beside the patient,
    never a continuation. With ``cameras``, a candidate that contradicts a face-confirmed
    sighting (`contradicts_faces`: the patient's face is elsewhere, too far to walk) is
    never one either, so a chain of look-alike pieces cannot run on beside the patient's
    face in another place.
    """
    if not found or not candidates:
        return []
    f_s = [s.sighting for s in found]
    f0, f1 = sighting_intervals(f_s)
    c0, c1 = sighting_intervals(candidates)
    same_cam = (
        np.array([s.camera_id for s in f_s], dtype=object)[:, None]
        == np.array([s.camera_id for s in candidates], dtype=object)[None, :]
    )
    f_first, f_last = path_end_points(f_s)
    c_first, c_last = path_end_points(candidates)
    looks = appearance_similarity_of(f_s, candidates)
    with np.errstate(invalid="ignore"):
        alike = looks >= settings.track_appearance_threshold
    tol, max_gap = settings.track_max_overlap_s, settings.track_max_gap_s

    def direction(gap: F64, jump_m: F64) -> NDArray[np.bool_]:
        allowed = settings.track_max_jump_m + settings.walking_speed_mps * np.maximum(gap, 0)
        with np.errstate(invalid="ignore"):
            return np.asarray(
                same_cam & alike & (gap >= -tol) & (gap <= max_gap) & (jump_m <= allowed), np.bool_
            )

    forward = direction(
        c0[None, :] - f1[:, None], _pair_distance(f_last, c_first)
    )  # candidate after
    backward = direction(f0[:, None] - c1[None, :], _pair_distance(f_first, c_last))
    link = _best_per_row(forward, looks) | _best_per_row(backward, looks)
    beside = same_cam & (time_overlap_s(f0, f1, c0, c1) > tol)
    accepted = link.any(axis=0) & ~beside.any(axis=0)
    if cameras is not None:
        accepted &= ~contradicts_faces(found, candidates, cameras, settings)
    parent_conf = np.array([s.confidence for s in found])
    out = []
    for c in np.flatnonzero(accepted):
        f = int(np.argmax(np.where(link[:, c], parent_conf, -1.0)))
        parent = found[f]
        evidence: Evidence = "appearance" if parent.evidence == "appearance" else "track"
        out.append(
            ScoredSighting(
                candidates[c],
                evidence,
                float(parent.confidence * settings.track_confidence_factor),
                float(looks[f, c]),
                parent.sighting.sighting_id,
            )
        )
    return out


def _pair_distance(a_xy: F64, b_xy: F64) -> F64:
    """(A, B) metres between (A, 2) and (B, 2) points (NaN where either is unknown)."""
    d = a_xy[:, None, :] - b_xy[None, :, :]
    return np.asarray(np.hypot(d[..., 0], d[..., 1]), np.float64)


def _best_per_row(mask: NDArray[np.bool_], score: F64) -> NDArray[np.bool_]:
    """``mask`` keeping, in each row, only its highest-scoring True entry."""
    out = np.zeros_like(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows):
        best = np.argmax(np.where(mask[rows], score[rows], -np.inf), axis=1)
        out[rows, best] = True
    return out
