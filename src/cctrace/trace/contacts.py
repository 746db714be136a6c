"""Contacts: who was near the patient, for how long, masked or not, and the risk.

Distances are computed only between sightings of one camera (they share its floor
frame). Both paths are interpolated onto one grid of ``distance_step_s`` aligned to the
epoch (grid index k is time k * step), so samples from several track pieces of the same
two people fall on the same grid points and are counted once: a person standing for
20 minutes, cut into four pieces by the ingestion's checkpoints, is exposed 20 minutes,
not more and not less.

A grid point counts as exposure when the two are within the policy's distance
(inclusive: "within 2 m") and, under a policy that exempts it, not both masked. A
sighting is masked when at least ``masked_min_ratio`` of its faces wore a mask; an
unknown mask ratio (no face seen) counts as unmasked, because the exemption is for
people *known* to be properly masked, and missing a close contact costs more than
warning one too many.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cctrace.config import Policy
from cctrace.core.types import Sighting
from cctrace.geometry.distance import clean_path, interpolate_path
from cctrace.geometry.row_scale import face_body_height, fit_row_scale, rescale_to_foot_row
from cctrace.trace.plausibility import (
    F64,
    CameraMap,
    appearance_similarity_of,
    face_similarity_of,
    reachable,
    sighting_intervals,
    time_gap_s,
    time_overlap_s,
)
from cctrace.trace.route import face_weighted_mask_ratio
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Contact, Encounter, Risk, Stay

I64 = NDArray[np.int64]


# -- pure pieces ------------------------------------------------------------------------------


def aligned_distance_series(
    t_a: ArrayLike,
    xy_a: ArrayLike,
    t_b: ArrayLike,
    xy_b: ArrayLike,
    step_s: float,
    max_gap_s: float | None = None,
) -> tuple[I64, F64]:
    """Floor distance between two paths on the epoch-aligned grid both cover.

    t_a (K,) s, xy_a (K, 2) m, t_b (L,) s, xy_b (L, 2) m. Returns grid indices (T,)
    int64 (time = index * step_s) and distances (T,) m, NaN where either path has a gap
    longer than ``max_gap_s``. Empty when the paths do not share a grid point.
    """
    k, at_a, at_b = aligned_positions(t_a, xy_a, t_b, xy_b, step_s, max_gap_s)
    return k, _apart(at_a, at_b)


def aligned_positions(
    t_a: ArrayLike,
    xy_a: ArrayLike,
    t_b: ArrayLike,
    xy_b: ArrayLike,
    step_s: float,
    max_gap_s: float | None = None,
) -> tuple[I64, F64, F64]:
    """Both paths' positions (T, 2) m on the grid `aligned_distance_series` uses, with its
    grid indices (T,); NaN rows where a path has a gap longer than ``max_gap_s``."""
    if not step_s > 0:
        raise ValueError(f"step_s must be positive, got {step_s}")
    ta, pa = clean_path(t_a, xy_a)
    tb, pb = clean_path(t_b, xy_b)
    none = np.zeros((0, 2), np.float64)
    if len(ta) == 0 or len(tb) == 0:
        return np.zeros((0,), np.int64), none, none
    start, end = max(ta[0], tb[0]), min(ta[-1], tb[-1])
    # The tolerance keeps a grid point that float rounding puts a hair outside.
    k0 = int(np.ceil(start / step_s - 1e-6))
    k1 = int(np.floor(end / step_s + 1e-6))
    k = np.arange(k0, k1 + 1, dtype=np.int64)
    if len(k) == 0:
        return k, none, none
    t = np.clip(k * step_s, start, end)
    at_a = interpolate_path(ta, pa, t, max_gap_s=max_gap_s)
    at_b = interpolate_path(tb, pb, t, max_gap_s=max_gap_s)
    return k, at_a, at_b


def _apart(a: F64, b: F64) -> F64:
    """Row by row floor distance (T,) m of two aligned paths (T, 2) m; NaN where unseen."""
    return np.asarray(np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1]), np.float64)


def still_mask(xy: F64, step_s: float, window_s: float, radius_m: float) -> NDArray[np.bool_]:
    """(T,) where a person (positions (T, 2) m every ``step_s``, NaN unseen) stands still:
    the mean of their position over the ``window_s`` before and the ``window_s`` after
    differ by less than ``radius_m``. A walker moves metres in a few seconds; a person
    standing moves only by the foot point's jitter, which the means average out."""
    n = len(xy)
    w = max(1, round(window_s / step_s))
    if n < 2 * w:
        return np.zeros(n, np.bool_)
    seen: NDArray[np.bool_] = np.asarray(np.isfinite(xy).all(axis=1))
    csum = np.vstack([np.zeros((1, 2)), np.cumsum(np.where(seen[:, None], xy, 0.0), axis=0)])
    ccount = np.concatenate([[0], np.cumsum(seen)])
    i = np.arange(w, n - w + 1)  # before: [i - w, i), after: [i, i + w)
    nb, na = ccount[i] - ccount[i - w], ccount[i + w] - ccount[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        before = (csum[i] - csum[i - w]) / nb[:, None]
        after = (csum[i + w] - csum[i]) / na[:, None]
        moved = np.hypot(*(after - before).T)
    out = np.zeros(n, np.bool_)
    out[i] = (nb > w // 2) & (na > w // 2) & (moved < radius_m)
    return out & seen


def steady_distance(
    at_a: F64,
    at_b: F64,
    step_s: float,
    settings: TraceSettings,
    pieces: tuple[I64, I64] | None = None,
) -> F64:
    """Distances (T,) m between two aligned paths, measured once per stretch where both
    stand still for ``still_min_s``: the distance between their mean positions over the
    stretch, for every sample of it. Elsewhere (and with ``still_min_s`` 0) the
    sample-by-sample distance.

    ``pieces``: for each side, the track piece (T,) each sample comes from (`piece_labels`;
    -1 for none). Given, a side's position over a stretch is the mean of its pieces' mean
    positions, each piece counted once (`piece_mean`).

    Each track piece's foot point carries its own constant offset (box bottom,
    calibration), about 8 cm per axis on the simulated city, so two people standing
    0.95 m apart for 20 minutes measured 0.9-1.1 m minute by minute, and a 1 m rule
    counted 40 % of the meeting. Their positions do not change while they stand, so
    every piece of the stretch measures the same distance: pooled, the offsets
    average out, and the distance of the means has no upward bias (the mean of noisy
    distances has: |d + e| > d on average).

    An offset is one draw per piece, however long the piece: a mean over samples lets a
    5-minute piece outweigh three 1-minute pieces, so its one offset counts as much as
    theirs together. Counting each piece once averages more independent offsets and
    narrows the standing distance's error (docs/benchmarks.md, "who-2020 at its 1 m
    limit: each track piece counted once").
    """
    d = _apart(at_a, at_b)
    if not settings.still_min_s > 0 or len(d) == 0:
        return d
    args = (step_s, settings.still_window_s, settings.still_radius_m)
    still = still_mask(at_a, *args) & still_mask(at_b, *args)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], still.astype(np.int8), [0]])))
    out = d.copy()
    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
        if (hi - lo) * step_s < settings.still_min_s:
            continue
        if pieces is None:
            mid_a = np.mean(at_a[lo:hi], axis=0)
            mid_b = np.mean(at_b[lo:hi], axis=0)
        else:
            mid_a = piece_mean(at_a[lo:hi], pieces[0][lo:hi])
            mid_b = piece_mean(at_b[lo:hi], pieces[1][lo:hi])
        spread = max(
            float(np.quantile(np.hypot(*(at_a[lo:hi] - mid_a).T), 0.9)),
            float(np.quantile(np.hypot(*(at_b[lo:hi] - mid_b).T), 0.9)),
        )
        if spread <= settings.still_radius_m:  # not a slow drift across the room
            out[lo:hi] = float(np.hypot(*(mid_a - mid_b)))
    return out


def piece_mean(xy: F64, piece: I64) -> F64:
    """The mean position (2,) of ``xy`` (T, 2) m, each track piece's samples (``piece``
    (T,), -1: from no piece) averaged first and every piece then counted once. With no
    labelled sample, the mean of all samples."""
    labelled = piece >= 0
    if not labelled.any():
        return np.asarray(np.mean(xy, axis=0), np.float64)
    labels, which = np.unique(piece[labelled], return_inverse=True)
    sums = np.zeros((len(labels), 2))
    np.add.at(sums, which, xy[labelled])
    counts = np.bincount(which, minlength=len(labels))
    return np.asarray(np.mean(sums / counts[:, None], axis=0), np.float64)


def piece_labels(sightings: Sequence[Sighting], t_s: F64) -> I64:
    """For each time of ``t_s`` (T,) s, the index into ``sightings`` of the track piece seen
    then (the first one, where pieces overlap), -1 where none is: a stretch interpolated
    across a gap between two pieces belongs to neither."""
    out = np.full(len(t_s), -1, np.int64)
    for i in reversed(range(len(sightings))):  # the first piece written last wins
        s = sightings[i]
        out[(t_s >= s.t_start_s) & (t_s <= s.t_end_s)] = i
    return out


def is_masked(mask_ratio: float | None, min_ratio: float) -> bool:
    """Masked when the share of masked faces reaches ``min_ratio``; unknown is unmasked."""
    return mask_ratio is not None and mask_ratio >= min_ratio


def counted_exposure(
    distance_m: F64, distance_limit_m: float, both_masked: bool, exempt_both_masked: bool
) -> NDArray[np.bool_]:
    """(T,) which samples count as exposure: within the distance (NaN never is), and not
    exempted for both being masked."""
    if both_masked and exempt_both_masked:
        return np.zeros(distance_m.shape, np.bool_)
    with np.errstate(invalid="ignore"):
        return np.asarray(distance_m <= distance_limit_m, np.bool_)


def exposure_s(grid_index: ArrayLike, step_s: float, window_s: float | None = None) -> float:
    """Exposure in seconds from the exposed grid indices (duplicates counted once).

    Each index stands for ``step_s`` seconds. With ``window_s`` the result is the most
    exposure inside any sliding window of that length (cdc-2020's "over 24 hours").
    """
    k = np.unique(np.asarray(grid_index, np.int64))
    if window_s is None or len(k) == 0:
        return float(len(k) * step_s)
    width = int(np.floor(window_s / step_s + 1e-9))  # grid points in one window
    inside = np.searchsorted(k, k + width, side="left") - np.arange(len(k))
    return float(inside.max() * step_s)


def risk_of(exposure: float, policy: Policy) -> Risk:
    """``high`` from the policy's minimum exposure, ``medium`` from its fraction of it."""
    if exposure >= policy.min_exposure_s:
        return "high"
    if exposure >= policy.medium_fraction * policy.min_exposure_s:
        return "medium"
    return "low"


def mask_status(
    mask_ratios: Sequence[float | None], face_counts: Sequence[int], min_ratio: float
) -> bool | None:
    """Masked over several sightings (`face_weighted_mask_ratio`), None when never known."""
    ratio = face_weighted_mask_ratio(mask_ratios, face_counts)
    return None if math.isnan(ratio) else ratio >= min_ratio


def contact_id_of(sighting_ids: Sequence[str]) -> str:
    """A stable, opaque id for one merged person: a hash of their sorted sighting ids."""
    digest = hashlib.sha256("\n".join(sorted(set(sighting_ids))).encode()).hexdigest()
    return f"c-{digest[:16]}"


def group_same_people(
    units: Sequence[Sighting], cameras: CameraMap, settings: TraceSettings
) -> list[list[int]]:
    """Indices of ``units`` grouped into people.

    Two sightings are one person when their faces match (both have one), else when they
    look alike and one could have walked from one to the other. Never when that is
    impossible: two tracks at once (overlapping by more than ``track_max_overlap_s``),
    or positions too far apart for the time between. Pairs join best first, and groups
    join only when no two of their members are impossible together, so a chain of
    look-alikes cannot put one person in two places.
    """
    n = len(units)
    if n == 0:
        return []
    t0, t1 = sighting_intervals(units)
    cams = [u.camera_id for u in units]
    distance = cameras.distances_m(cams, cams)
    gap = time_gap_s(t0, t1, t0, t1)
    can_walk = reachable(distance, gap, settings.walking_speed_mps, settings.reach_slack_m)
    impossible = (time_overlap_s(t0, t1, t0, t1) > settings.track_max_overlap_s) | (
        np.isfinite(distance) & ~can_walk
    )
    np.fill_diagonal(impossible, False)
    face = face_similarity_of(units, units)
    looks = appearance_similarity_of(units, units)
    both_faces = np.isfinite(face)
    telling = np.array([_telling_face(u, settings) for u in units], np.bool_)
    with np.errstate(invalid="ignore"):
        by_face = both_faces & (face >= settings.contact_face_threshold)
        by_looks = ~both_faces & can_walk & (looks >= settings.contact_appearance_threshold)
        # Two good, unmasked faces that clearly differ are two people, however alike
        # their clothes: no chain of look-alikes may join them.
        impossible |= telling[:, None] & telling[None, :] & (face < settings.face_veto_below)
    # Face pairs first (score 2 + cosine), then appearance pairs (score in [0, 1]).
    score = np.where(by_face, 2.0 + np.nan_to_num(face), np.where(by_looks, looks, -1.0))
    score[impossible] = -1.0
    i_idx, j_idx = np.triu_indices(n, k=1)
    order = np.argsort(-score[i_idx, j_idx], kind="stable")
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for e in order:
        i, j = int(i_idx[e]), int(j_idx[e])
        if score[i, j] < 0:
            break
        gi, gj = group_of[i], group_of[j]
        if gi == gj or impossible[np.ix_(members[gi], members[gj])].any():
            continue
        if not _one_person_on_average(face, looks, members[gi], members[gj], settings):
            continue  # one look-alike pair does not make two groups one person
        for m in members[gj]:
            group_of[m] = gi
        members[gi] += members.pop(gj)
    return [sorted(m) for _, m in sorted(members.items())]


def _telling_face(s: Sighting, settings: TraceSettings) -> bool:
    """A face good enough, and unmasked, to tell two people apart (as the patient veto)."""
    return (
        s.face_embedding is not None
        and s.face_quality >= settings.face_veto_min_quality
        and not is_masked(s.mask_ratio, settings.masked_min_ratio)
    )


def _one_person_on_average(
    face: F64, looks: F64, a: Sequence[int], b: Sequence[int], settings: TraceSettings
) -> bool:
    """Whether two groups are one person on average over their members' pairs: by face
    where pairs of them show faces (faces decide, as for one pair), else by looks.

    Joining on the best pair alone (single linkage) lets one chance look-alike pair, or
    two masked faces that happen to score high, merge two people whose other pieces are
    not alike at all; the pieces of one person are alike pair after pair, so their mean
    stays above the threshold.
    """
    faces = face[np.ix_(a, b)]
    faces = faces[np.isfinite(faces)]
    if faces.size:
        return bool(faces.mean() >= settings.contact_face_threshold)
    cross = looks[np.ix_(a, b)]
    known = cross[np.isfinite(cross)]
    return bool(known.size == 0 or known.mean() >= settings.contact_appearance_threshold)


# -- contacts of one case -----------------------------------------------------------------------


@dataclass(frozen=True)
class StayPresence:
    """One stay, the patient's sightings in it and the camera's other sightings that
    overlap it (all clipped to the case's scope, the patient's excluded)."""

    stay: Stay
    patient: tuple[Sighting, ...]
    others: tuple[Sighting, ...]


@dataclass
class _Near:
    """One other sighting that shared one stay with the patient."""

    stay_index: int
    sighting: Sighting
    approximate: bool = False
    patient: list[Sighting] = field(default_factory=list)
    """The patient's sightings it overlapped (their mask status is the patient's here)."""


def merged_path(sightings: Sequence[Sighting]) -> tuple[F64, F64]:
    """One person's pieces as one path: times (K,) s and floor positions (K, 2) m, sorted.

    Several track pieces of one person (checkpoint cuts, occlusions, identity switches)
    become one path, so that a short unseen stretch between two pieces is interpolated
    like one inside a piece (up to ``path_max_gap_s``); samples of one instant in two
    pieces are averaged (`cctrace.geometry.distance.clean_path`).
    """
    if not sightings:
        return np.zeros((0,), np.float64), np.zeros((0, 2), np.float64)
    t = np.concatenate([np.asarray(s.path_t_s, np.float64).reshape(-1) for s in sightings])
    xy = np.concatenate(
        [np.asarray(s.path_floor_xy_m, np.float64).reshape(-1, 2) for s in sightings]
    )
    return clean_path(t, xy)


def smooth_path(t_s: F64, xy_m: F64, window_s: float) -> F64:
    """Positions (K, 2) averaged over the samples within ``window_s / 2`` of each one.

    A box's foot point jitters from frame to frame; a centred mean cuts that noise
    without lagging a person who walks at a steady pace (0 or one sample: unchanged).
    ``t_s`` must be sorted (as `clean_path` gives it).
    """
    if window_s <= 0 or len(t_s) < 2:
        return xy_m
    half = window_s / 2
    lo = np.searchsorted(t_s, t_s - half, side="left")
    hi = np.searchsorted(t_s, t_s + half, side="right")
    csum = np.vstack([np.zeros((1, 2)), np.cumsum(xy_m, axis=0)])
    return np.asarray((csum[hi] - csum[lo]) / (hi - lo)[:, None], np.float64)


def find_contacts(
    presences: Sequence[StayPresence],
    policy: Policy,
    settings: TraceSettings,
    cameras: CameraMap,
    frame_size_px: Mapping[str, tuple[int, int]] | None = None,
) -> tuple[Contact, ...]:
    """The people near the patient, merged across stays and cameras, riskiest first.

    ``frame_size_px``: (width, height) of each video by id, so that boxes cut by a
    frame edge are known at uncalibrated cameras (`on_foot_rows`); without it, none is.

    First every other sighting that shared a stay with the patient (and is not the
    patient's own duplicate track) becomes a unit; units are grouped into people
    (`group_same_people`); then, per person and stay, the person's pieces and the
    patient's pieces are each merged into one path (`merged_path`) and their distance
    series gives the exposure, so an occlusion of either of them shorter than
    ``path_max_gap_s`` does not cut a long meeting short.

    Listed: anyone with exposure, or who came within the policy's distance at all (for
    instance both masked under kdca-2022: no exposure, but the investigator sees them).
    """
    if settings.foot_rows:
        presences = [on_foot_rows(p, frame_size_px or {}) for p in presences]
    near: dict[tuple[str, int], _Near] = {}
    for si, presence in enumerate(presences):
        for other in presence.others:
            for p in presence.patient:
                if p.t_end_s < other.t_start_s or other.t_end_s < p.t_start_s:
                    continue  # most pairs of a long, busy stay never meet: skip cheaply
                _, d = aligned_distance_series(
                    p.path_t_s,
                    p.path_floor_xy_m,
                    other.path_t_s,
                    other.path_floor_xy_m,
                    settings.distance_step_s,
                    settings.path_max_gap_s,
                )
                if not np.isfinite(d).any():
                    continue
                if (
                    float(np.nanmedian(d)) < settings.same_body_max_m
                    and not _looks_different(p, other, settings)
                    and not _face_differs(presence.patient, other, settings)
                ):
                    continue  # the patient's own duplicate track, not another person
                rec = near.setdefault((other.sighting_id, si), _Near(si, other))
                rec.approximate |= p.path_approximate or other.path_approximate
                rec.patient.append(p)
    units_by_id = {sid: rec.sighting for (sid, _), rec in near.items()}
    unit_ids = sorted(units_by_id)
    units = [units_by_id[i] for i in unit_ids]
    patient_paths = [_smoothed(merged_path(pr.patient), settings) for pr in presences]
    contacts = []
    for group in group_same_people(units, cameras, settings):
        ids = {unit_ids[g] for g in group}
        recs = [r for (sid, _), r in near.items() if sid in ids]
        contact = _contact(recs, presences, patient_paths, policy, settings)
        if contact.exposure_s > 0 or contact.min_distance_m <= policy.distance_m:
            contacts.append(contact)
    contacts.sort(key=lambda c: (-c.exposure_s, c.min_distance_m, c.contact_id))
    return tuple(contacts)


def on_foot_rows(
    presence: StayPresence, frame_size_px: Mapping[str, tuple[int, int]]
) -> StayPresence:
    """The stay with every approximate path (an uncalibrated camera's) re-placed by foot
    row on the line of box height against foot row that all the stay's tracks at that
    camera draw (`cctrace.geometry.row_scale`): people whose feet share a row share a
    distance, whatever their stature or pose, and people whose feet are hidden are
    placed by the body their faces show (`face_body_height`), by their top row where
    no face was seen. Calibrated paths and cameras with too few boxes for a fit are
    left as they are. ``frame_size_px``: (width, height) by video id.
    """
    everyone = (*presence.patient, *presence.others)
    by_camera: dict[str, list[Sighting]] = {}
    for s in everyone:
        if s.path_approximate and s.path_box_xyxy is not None and len(s.path_box_xyxy):
            by_camera.setdefault(s.camera_id, []).append(s)
    moved: dict[str, Sighting] = {}
    for group in by_camera.values():
        # Rows of videos recorded at different sizes do not lie on one line: such a
        # camera keeps its positions as ingested.
        heights = {
            frame_size_px[s.video_id][1] if s.video_id in frame_size_px else None for s in group
        }
        if len(heights) > 1:
            continue
        (height,) = heights
        boxes = [s.path_box_xyxy for s in group if s.path_box_xyxy is not None]
        scale = fit_row_scale(boxes, height)
        if scale is None:
            continue
        for s in group:
            assert s.path_box_xyxy is not None  # grouped only with boxes
            body = None if s.path_face_px is None else face_body_height(s.path_t_s, s.path_face_px)
            xy = rescale_to_foot_row(s.path_floor_xy_m, s.path_box_xyxy, scale, height, body)
            moved[s.sighting_id] = replace(s, path_floor_xy_m=xy.astype(np.float32))
    if not moved:
        return presence
    return StayPresence(
        presence.stay,
        tuple(moved.get(s.sighting_id, s) for s in presence.patient),
        tuple(moved.get(s.sighting_id, s) for s in presence.others),
    )


def _looks_different(a: Sighting, b: Sighting, settings: TraceSettings) -> bool:
    """Two tracks in different clothes (a detector's duplicate box of one body has the
    same); unknown looks are not different."""
    looks = float(appearance_similarity_of([a], [b])[0, 0])
    return bool(np.isfinite(looks) and looks < settings.track_appearance_threshold)


def _face_differs(patient: Sequence[Sighting], other: Sighting, settings: TraceSettings) -> bool:
    """Whether ``other`` shows a good unmasked face that matches none of the patient's
    good unmasked faces in the stay (best cosine under ``contact_face_threshold``, where
    contacts take two faces for one person): a duplicate box of the patient's body shows
    the patient's face, so this is someone else standing very close (people 0.23 m apart
    for 27 minutes in a simulated city were dropped as duplicates, docs/benchmarks.md
    "Dense cities"). No such face on either side: no evidence either way."""
    if not _telling_face(other, settings):
        return False
    mine = [p for p in patient if _telling_face(p, settings)]
    if not mine:
        return False
    best = float(np.max(face_similarity_of(mine, [other])))
    return best < settings.contact_face_threshold


def _smoothed(path: tuple[F64, F64], settings: TraceSettings) -> tuple[F64, F64]:
    return path[0], smooth_path(path[0], path[1], settings.path_smooth_s)


def _contact(
    recs: Sequence[_Near],
    presences: Sequence[StayPresence],
    patient_paths: Sequence[tuple[F64, F64]],
    policy: Policy,
    settings: TraceSettings,
) -> Contact:
    step = settings.distance_step_s
    ratio = settings.masked_min_ratio
    encounters = []
    exposed: list[I64] = []
    for si in sorted({r.stay_index for r in recs}):
        here = [r for r in recs if r.stay_index == si]
        stay = presences[si].stay
        mine = [r.sighting for r in here]
        beside = list({p.sighting_id: p for r in here for p in r.patient}.values())
        t_c, xy_c = _smoothed(merged_path(mine), settings)
        t_p, xy_p = patient_paths[si]
        k, at_p, at_c = aligned_positions(t_p, xy_p, t_c, xy_c, step, settings.path_max_gap_s)
        t_k = np.asarray(k * step, np.float64)
        pieces = (piece_labels(presences[si].patient, t_k), piece_labels(mine, t_k))
        d = steady_distance(at_p, at_c, step, settings, pieces)
        both = (
            mask_status([p.mask_ratio for p in beside], [p.face_count for p in beside], ratio)
            is True
            and mask_status([s.mask_ratio for s in mine], [s.face_count for s in mine], ratio)
            is True
        )
        k_here = k[counted_exposure(d, policy.distance_m, both, policy.both_masked_exempt)]
        exposed.append(k_here)
        encounters.append(
            Encounter(
                camera_id=stay.camera_id,
                t_start_s=max(stay.t_start_s, min(s.t_start_s for s in mine)),
                t_end_s=min(stay.t_end_s, max(s.t_end_s for s in mine)),
                exposure_s=exposure_s(k_here, step),
                min_distance_m=float(np.nanmin(d)) if np.isfinite(d).any() else float("inf"),
            )
        )
    theirs = list({r.sighting.sighting_id: r.sighting for r in recs}.values())
    patient = list({p.sighting_id: p for r in recs for p in r.patient}.values())
    total_s = exposure_s(np.concatenate(exposed), step, policy.window_s)
    return Contact(
        contact_id=contact_id_of([s.sighting_id for s in theirs]),
        risk=risk_of(total_s, policy),
        exposure_s=total_s,
        min_distance_m=min(e.min_distance_m for e in encounters),
        distance_approximate=any(r.approximate for r in recs),
        patient_masked=mask_status(
            [p.mask_ratio for p in patient], [p.face_count for p in patient], ratio
        ),
        contact_masked=mask_status(
            [s.mask_ratio for s in theirs], [s.face_count for s in theirs], ratio
        ),
        encounters=tuple(encounters),
        sighting_ids=tuple(sorted(s.sighting_id for s in theirs)),
    )
