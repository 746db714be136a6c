"""The patient's route: found sightings merged into stays, per camera, in time order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cctrace.store.records import CameraRecord
from cctrace.trace.types import EVIDENCE_RANK, ScoredSighting, Stay


def build_route(
    scored: Sequence[ScoredSighting],
    cameras: Mapping[str, CameraRecord],
    merge_gap_s: float = 60.0,
) -> tuple[Stay, ...]:
    """Stays, ordered by start time (then camera).

    Sightings of one camera whose gap is at most ``merge_gap_s`` form one stay, however
    many pieces the tracker or the ingestion's checkpoints cut them into. Stays of
    different cameras may overlap in time (views that overlap). A stay's confidence is
    the highest of its sightings' (one face match makes the patient's presence there
    as sure as that match, whatever the track pieces around it); its evidence the
    strongest kind present; its ``masked_ratio`` the mask ratio of its sightings weighted
    by the faces each showed, NaN when no face was seen (unknown, not unmasked).
    """
    by_camera: dict[str, list[ScoredSighting]] = {}
    for s in scored:
        by_camera.setdefault(s.sighting.camera_id, []).append(s)
    stays: list[Stay] = []
    for camera_id, group in by_camera.items():
        group.sort(key=lambda s: (s.sighting.t_start_s, s.sighting.sighting_id))
        current: list[ScoredSighting] = []
        end = -np.inf
        for s in group:
            if current and s.sighting.t_start_s - end > merge_gap_s:
                stays.append(_stay(camera_id, cameras, current))
                current = []
            end = max(end, s.sighting.t_end_s) if current else s.sighting.t_end_s
            current.append(s)
        if current:
            stays.append(_stay(camera_id, cameras, current))
    return tuple(sorted(stays, key=lambda st: (st.t_start_s, st.camera_id)))


def _stay(
    camera_id: str, cameras: Mapping[str, CameraRecord], part: Sequence[ScoredSighting]
) -> Stay:
    camera = cameras.get(camera_id)
    return Stay(
        camera_id=camera_id,
        site=(camera.site or None) if camera is not None else None,
        t_start_s=min(s.sighting.t_start_s for s in part),
        t_end_s=max(s.sighting.t_end_s for s in part),
        confidence=max(s.confidence for s in part),
        masked_ratio=face_weighted_mask_ratio(
            [s.sighting.mask_ratio for s in part], [s.sighting.face_count for s in part]
        ),
        evidence=max((s.evidence for s in part), key=lambda e: EVIDENCE_RANK[e]),
        sighting_ids=tuple(s.sighting.sighting_id for s in part),
    )


def face_weighted_mask_ratio(
    mask_ratios: Sequence[float | None], face_counts: Sequence[int]
) -> float:
    """Share of faces masked over several sightings; NaN when none had a known ratio.

    A sighting whose faces were all too small to embed (face count 0) can still have a
    ratio from their mask votes (`cctrace.vision.mask.small_face_mask_votes`): it counts
    as one face, as in `cctrace.trace.contacts.mask_status`."""
    known = [(r, max(n, 1)) for r, n in zip(mask_ratios, face_counts, strict=True) if r is not None]
    if not known:
        return float("nan")
    return float(sum(r * n for r, n in known) / sum(n for _, n in known))
