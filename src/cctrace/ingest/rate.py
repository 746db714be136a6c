"""Analysis rate adapted to the scene: every sample where it matters, every other one
where the tracker can bridge.

Ingestion samples about 4 frames a second. Between two samples a person walking at
1.4 m/s moves a third of a metre, and the tracker's Kalman filter predicts where; so
while the scene is calm (every track confirmed and matched at the last analysed frame,
nobody near anybody else) analysing every ``calm_every``-th sample loses little.
Full rate returns at once when:

- a track is tentative (a person just appeared: confirmation needs consecutive hits) or
  was missed at the last analysed frame (occlusion, leaving, a crossing);
- two people are near each other in the picture: contacts and ID switches both happen
  there, and contact exposure is measured from these frames;
- a tracked person's picture changes fast (``changing``, from
  `cctrace.tracking.identity.IdentityWatch.changing`): the check that ends a track when
  someone else takes its place compares consecutive pictures of the box, and skipping
  every other sample doubles a walker's change per observation;
- the sampling rate is so low that skipping would leave fewer than ``min_calm_fps``
  analysed frames a second (``--fps 2`` or 3).

The rule reads only the tracker's state, the identity watch's (``changing``) and the
sample bins; both are restarted at every checkpoint, so a resumed run (which starts from
a fresh tracker and watch at a checkpoint) decides exactly as an uninterrupted one.
Empty scenes keep to the full sampling rate here; the motion gate
(`cctrace.ingest.motion`) skips those that did not change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cctrace.core.geometry import box_iou_batch
from cctrace.core.types import FloatArray
from cctrace.tracking.bytetrack import LiveTrack

_EPS = 1e-9


@dataclass(frozen=True)
class RatePolicy:
    """``calm_every``: analyse every n-th sample bin while calm (1 = every sample).
    ``near_heights``: two people count as near when their box centres are closer than
    this many box heights (the taller box): 2 heights is about 3.4 m for adults, wider
    than any contact distance a policy uses (2 m at most), so perspective and loose
    boxes do not hide a contact."""

    calm_every: int = 2
    near_heights: float = 2.0
    min_calm_fps: float = 2.0
    """Samples are skipped while calm only where the frames left are at least this many
    a second: at a sampling rate of 2 (``--fps 2``) every other sample is a second
    apart, and a walker near the camera moves beyond the tracker's reach in a second."""
    tile_every_s: float = 1.0
    """Tiled person detection in every window of this length, to find small newcomers."""
    small_input_px: float = 48.0
    """A person shorter than this in the detector's input is small: the full-frame pass
    alone may lose them (NanoDet sees a 1080p frame shrunk 4.6 times)."""
    tiles_while_small: bool = False
    """True: the tiles run on every analysed frame while a small person is tracked (the
    rule before issue 14's third speed session). False: only on a frame where the
    full-frame pass has no confident box on a small tracked person, tentative or not
    (`tracked_person_missed`); where it has one, the tiles would find the same person.
    On the busy 1080p clip most walkers are small, and the old rule tiled about half of
    the analysed frames (docs/benchmarks.md, "Ingestion speed, third session")."""


def anyone_near(tracks: list[LiveTrack], near_heights: float) -> bool:
    """True when two live tracks' last boxes have centres closer than ``near_heights``
    times the taller box's height."""
    if len(tracks) < 2:
        return False
    b = np.stack([t.box_xyxy for t in tracks]).astype(np.float64)
    centre = (b[:, :2] + b[:, 2:]) / 2
    height = np.maximum(b[:, 3] - b[:, 1], 1.0)
    dist = np.linalg.norm(centre[:, None] - centre[None, :], axis=2)
    limit = near_heights * np.maximum(height[:, None], height[None, :])
    np.fill_diagonal(dist, np.inf)
    return bool((dist < limit).any())


def should_analyse(
    t_s: float,
    sample_fps: float,
    t_last_analysed_s: float,
    tracks: list[LiveTrack],
    policy: RatePolicy,
    changing: bool = False,
) -> bool:
    """Whether the sample at ``t_s`` must be analysed; ``t_last_analysed_s`` is the time
    of the last analysed frame (-inf if none), ``tracks`` the tracker's live tracks with
    their boxes predicted at ``t_s``, ``changing`` whether a tracked person's picture
    changed fast at the last analysed frame."""
    if policy.calm_every <= 1 or not tracks or math.isinf(t_last_analysed_s) or changing:
        return True
    if sample_fps / policy.calm_every < policy.min_calm_fps - _EPS:
        return True
    if any(not t.confirmed or t.t_update_s < t_last_analysed_s - _EPS for t in tracks):
        return True
    if anyone_near(tracks, policy.near_heights):
        return True
    bin_now = math.floor(t_s * sample_fps + _EPS)
    bin_last = math.floor(t_last_analysed_s * sample_fps + _EPS)
    # The phase is counted from absolute sample bins, not from the last analysed frame, so
    # that a segment started at a cut (after its lead) analyses the same samples as the
    # whole video; the second test only matters where samples are missing (gaps, VFR).
    return bin_now % policy.calm_every == 0 or bin_now - bin_last > policy.calm_every


def new_window(t_s: float, t_last_s: float, every_s: float) -> bool:
    """Whether ``t_s`` lies in a later absolute window of ``every_s`` seconds than
    ``t_last_s`` (-inf: nothing yet). Absolute windows (not "``every_s`` after the last"),
    so that a segment cut out of a video does work on the same frames as the whole run."""
    return math.isinf(t_last_s) or math.floor(t_s / every_s + _EPS) > math.floor(
        t_last_s / every_s + _EPS
    )


def fallback_heads(track_ids: list[int], face_seen: dict[int, bool]) -> NDArray[np.bool_]:
    """Outside the first analysed frame of a window: which tracks' heads (``track_ids``,
    one per tracked person) the face cascade's fallback may search where YuNet found no
    face: those that showed a face on their last analysed frame (``face_seen``), and new
    tracks. A head that showed none, most often the back of a head, waits for the next
    window: trying it on every frame costs about 70 ms per head at 1080p and finds
    nothing there."""
    return np.array([face_seen.get(tid, True) for tid in track_ids], np.bool_)


def tiles_needed(
    t_s: float,
    t_last_tiled_s: float,
    tracks: list[LiveTrack],
    shrink: float,
    policy: RatePolicy,
) -> bool:
    """Whether the tiled person pass runs on the frame at ``t_s`` before the full-frame
    pass is seen: on the first analysed frame of every ``tile_every_s`` window, and, with
    ``policy.tiles_while_small``, on every frame while someone tracked (``tracks``, boxes
    predicted at ``t_s``) is small in the full-frame pass (``shrink``: frame pixels per
    detector input pixel). Without it, `tracked_person_missed` decides after the
    full-frame pass."""
    if new_window(t_s, t_last_tiled_s, policy.tile_every_s):
        return True
    if not tracks or not policy.tiles_while_small:
        return False
    heights = np.array([t.box_xyxy[3] - t.box_xyxy[1] for t in tracks], np.float64)
    return bool((heights / shrink < policy.small_input_px).any())


MISSED_IOU = 0.3
"""A tracked person counts as found by the full-frame pass when a detection overlaps the
track's predicted box at least this much (ByteTrack's own matches go lower, so this errs
towards running the tiles)."""


def tracked_person_missed(
    tracks: list[LiveTrack], found_xyxy: FloatArray, small_below_px: float = 0.0
) -> bool:
    """True when a confirmed track, or a tentative one shorter than ``small_below_px``
    (frame pixels), has no full-frame detection on it (box predicted at this frame): the
    person is still there more often than not (standing close to someone, half hidden,
    or too small for the full-frame pass), and the tiles see them at twice the
    resolution. On the demo town's café clip (1024x576) the full-frame pass loses one of
    two people standing together after a second, which cost the whole contact; the
    tiles keep both. A small newcomer found by the tiles is tentative until seen again:
    without the tiles on the next frames the full-frame pass alone may never confirm it."""
    boxes = [
        t.box_xyxy
        for t in tracks
        if t.confirmed or float(t.box_xyxy[3] - t.box_xyxy[1]) < small_below_px
    ]
    if not boxes:
        return False
    if len(found_xyxy) == 0:
        return True
    iou = box_iou_batch(np.stack(boxes), found_xyxy)
    return bool((iou.max(axis=1) < MISSED_IOU).any())
