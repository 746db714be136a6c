"""Cutting a long video into segments that run in parallel, and joining the tracks that
cross a cut.

A cut lies on a keyframe (a segment decodes from its own keyframe, nothing before it).
Each segment samples exactly the frames a whole run samples (`FrameSpan.first_bin`), runs
its own tracker, warmed on the ``LEAD_S`` seconds before its cut (what the lead sees is
the segment before's and is dropped), and ends the tracks still live at its end. A track
piece ending near a cut is joined with the next segment's piece starting near it when
their boxes at the cut overlap; the joined sighting keeps the earlier piece's id, so the
result does not depend on which segment finished first.

Track ids of segment k start at ``k * TRACK_ID_STRIDE + 1``: sighting ids stay unique and
are the same on every run, which is what makes the writer's commits idempotent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cctrace.core.types import FloatArray, Sighting
from cctrace.video.spans import FrameSpan, scan_packets
from cctrace.vision.appearance import appearance_from_vector, appearance_to_vector

TRACK_ID_STRIDE = 100_000
"""Track ids per segment: far above the tracks one camera sees in a segment's length."""
LEAD_S = 2.0
"""Seconds before a cut a segment analyses only to warm its tracker: enough for a track
live at the cut to be confirmed (2 matched frames) before it, so that the first frame
after the cut is linked to it (faces included) as in a whole run."""
JOIN_GAP_S = 2.0
"""Largest gap between two pieces of one track at a cut: the tracker's ``max_lost_s``."""
JOIN_MIN_IOU = 0.3
"""Least overlap of the last box before a cut and the first box after it. At 4 sampled
frames a second a walker's box moves about a third of its width per frame (see
`cctrace.tracking.bytetrack`), which keeps the IoU of consecutive boxes above 0.5."""


def plan_spans(path: Path, sample_fps: float, segment_s: float) -> list[FrameSpan]:
    """Spans of about ``segment_s`` seconds, cut at the first keyframe past each multiple.

    A video shorter than two segments gets one span (the caller runs it whole)."""
    times = scan_packets(path)
    frames = times.frame_t_s
    end_s = frames[-1]
    if segment_s <= 0 or end_s < 2 * segment_s:
        return [FrameSpan(0, 0.0, math.inf, times.first_pts, 0)]
    cuts: list[float] = [0.0]
    for key_t in times.keyframe_t_s:
        if key_t >= cuts[-1] + segment_s and end_s - key_t >= segment_s / 2:
            cuts.append(key_t)
    spans = []
    for k, begin in enumerate(cuts):
        end = cuts[k + 1] if k + 1 < len(cuts) else math.inf
        first = _first_bin(frames, begin, sample_fps)
        if k == 0:
            spans.append(FrameSpan(k, begin, end, times.first_pts, first))
            continue
        lead_s = begin - LEAD_S
        decode_from = max((t for t in times.keyframe_t_s if t <= lead_s), default=0.0)
        spans.append(
            FrameSpan(
                k,
                begin,
                end,
                times.first_pts,
                first,
                t_lead_s=decode_from,
                lead_first_bin=_first_bin(frames, max(lead_s, 0.0), sample_fps),
            )
        )
    return spans


def _first_bin(frame_t_s: list[float], begin_s: float, sample_fps: float) -> int:
    """The first sample bin a span starting at ``begin_s`` owns: its own bin, unless a frame
    before the cut already lies in that bin (then the span before sampled it)."""
    b = math.floor(begin_s * sample_fps + 1e-9)
    i = int(np.searchsorted(frame_t_s, begin_s - 1e-6))
    if i > 0 and math.floor(frame_t_s[i - 1] * sample_fps + 1e-9) == b:
        return b + 1
    return b


@dataclass(frozen=True)
class SegmentSightings:
    """The sightings of one segment (its span and the start of the video, UTC epoch s)."""

    span: FrameSpan
    start_epoch_s: float
    sightings: list[Sighting]


def join_segments(segments: list[SegmentSightings]) -> list[list[Sighting]]:
    """Join the pieces of tracks that cross cuts; returns per segment the sightings whose
    first piece lies in it (a joined sighting belongs to the segment it started in)."""
    ordered = sorted(segments, key=lambda s: s.span.index)
    out: list[list[Sighting]] = [list(s.sightings) for s in ordered]
    # owner[k][i]: the (segment, row) a piece was merged into, for chains over many cuts
    for k in range(len(ordered) - 1):
        cut_s = ordered[k].start_epoch_s + ordered[k + 1].span.t_begin_s
        before = [i for i, s in enumerate(out[k]) if s.t_end_s >= cut_s - JOIN_GAP_S]
        after = [j for j, s in enumerate(out[k + 1]) if s.t_start_s <= cut_s + JOIN_GAP_S]
        pairs = []
        for i in before:
            for j in after:
                a, b = out[k][i], out[k + 1][j]
                if not 0.0 <= b.t_start_s - a.t_end_s <= JOIN_GAP_S:
                    continue
                iou = _edge_iou(a, b)
                if iou >= JOIN_MIN_IOU:
                    pairs.append((iou, i, j))
        used_i: set[int] = set()
        used_j: set[int] = set()
        for _, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            if i in used_i or j in used_j:
                continue
            used_i.add(i)
            used_j.add(j)
            # the joined track lives on in segment k+1, so that a third piece can follow it
            out[k + 1][j] = merge_sightings(out[k][i], out[k + 1][j])
        out[k] = [s for i, s in enumerate(out[k]) if i not in used_i]
    # each sighting belongs to the segment where its (earliest) piece began
    result: list[list[Sighting]] = [[] for _ in ordered]
    index_of = {s.span.index: n for n, s in enumerate(ordered)}
    for group in out:
        for s in group:
            result[index_of[s.track_id // TRACK_ID_STRIDE]].append(s)
    return result


def _edge_iou(a: Sighting, b: Sighting) -> float:
    if a.path_box_xyxy is None or b.path_box_xyxy is None:
        return 0.0
    if len(a.path_box_xyxy) == 0 or len(b.path_box_xyxy) == 0:
        return 0.0
    p, q = a.path_box_xyxy[-1], b.path_box_xyxy[0]
    w = max(0.0, float(min(p[2], q[2]) - max(p[0], q[0])))
    h = max(0.0, float(min(p[3], q[3]) - max(p[1], q[1])))
    inter = w * h
    area = float((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]))
    return inter / (area - inter) if area - inter > 0 else 0.0


def merge_sightings(a: Sighting, b: Sighting) -> Sighting:
    """One sighting of two pieces of a track, ``a`` before ``b``; it keeps ``a``'s id.

    Paths are concatenated; the face embedding is the pieces' quality-weighted mean, as
    one track's would be; appearance is weighted by path points (an approximation: the
    track's descriptors are not kept);
    the mask ratio is exact (masked faces over faces); the better face's thumbnail stays."""
    boxes = (
        None
        if a.path_box_xyxy is None or b.path_box_xyxy is None
        else np.concatenate([a.path_box_xyxy, b.path_box_xyxy]).astype(np.float32)
    )
    face_px = (
        None
        if a.path_face_px is None or b.path_face_px is None
        else np.concatenate([a.path_face_px, b.path_face_px]).astype(np.float32)
    )
    faces = a.face_count + b.face_count
    masked = (a.mask_ratio or 0.0) * a.face_count + (b.mask_ratio or 0.0) * b.face_count
    return replace(
        a,
        t_end_s=b.t_end_s,
        path_t_s=np.concatenate([a.path_t_s, b.path_t_s]),
        path_floor_xy_m=np.concatenate([a.path_floor_xy_m, b.path_floor_xy_m]).astype(np.float32),
        path_box_xyxy=boxes,
        path_face_px=face_px,
        path_approximate=a.path_approximate or b.path_approximate,
        face_count=faces,
        face_quality=max(a.face_quality, b.face_quality),
        face_embedding=_weighted_unit(
            a.face_embedding, _face_weight(a), b.face_embedding, _face_weight(b)
        ),
        face_weight=_face_weight(a) + _face_weight(b),
        appearance=_merge_appearance(a, b),
        mask_ratio=(masked / faces) if faces else None,
        thumbnail_jpeg=a.thumbnail_jpeg
        if b.thumbnail_jpeg is None
        or (a.thumbnail_jpeg is not None and a.face_quality >= b.face_quality)
        else b.thumbnail_jpeg,
    )


def _face_weight(s: Sighting) -> float:
    """The quality weight of a piece's faces (ingestion keeps it; the face count if not)."""
    return s.face_weight if s.face_weight is not None else float(s.face_count)


def _weighted_unit(
    x: FloatArray | None, wx: float, y: FloatArray | None, wy: float
) -> FloatArray | None:
    if x is None or y is None or wx + wy <= 0:
        return x if y is None else y
    v = wx * x.astype(np.float64) + wy * y.astype(np.float64)
    n = float(np.linalg.norm(v))
    return np.asarray(v / n if n > 0 else v, np.float32)


def _merge_appearance(a: Sighting, b: Sighting) -> FloatArray | None:
    if a.appearance is None or b.appearance is None:
        return a.appearance if b.appearance is None else b.appearance
    da, db = appearance_from_vector(a.appearance), appearance_from_vector(b.appearance)
    wa, wb = float(len(a.path_t_s)), float(len(b.path_t_s))
    cnn = _weighted_unit(da.cnn, wa, db.cnn, wb)
    colour = _weighted_unit(da.colour, wa, db.colour, wb)
    assert cnn is not None and colour is not None
    return appearance_to_vector(type(da)(cnn, colour))
