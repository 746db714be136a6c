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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.store.records import CameraRecord, SketchRows, SketchScreen
from cctrace.store.repository import Store
from cctrace.store.vector_index import Match, ScoreStats
from cctrace.trace.contacts import aligned_distance_series
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
    unit_rows,
)
from cctrace.trace.settings import FaceFusion, TraceSettings
from cctrace.trace.types import CaseQuery, Evidence, Progress
from cctrace.vision.appearance import (
    CNN_DIM,
    CNN_WEIGHT,
    COLOUR_DIM,
    appearance_vector_similarity,
)

INDEX_TOLERANCE = 1e-3
"""The index is asked for hits this far below the threshold; the exact score decides.
Matrix products round differently with the batch's shape, and a borderline hit must not
depend on which other cases were traced with it."""
_STORE_IN_CHUNK = 500
_STATS_MIN_FACES = 100
"""Fewer faces searched than this say too little about a query's strangers (and a
handful of them cannot make a chance match likely at the fixed threshold anyway)."""
_CLUSTER_MAX_S = 3600.0
"""Longest span one shared store query covers: joining spans saves queries but reads
each camera over the whole union, so the union is kept short."""

EVIDENCE_RANK: dict[Evidence, int] = {"face": 2, "track": 1, "appearance": 0}


class FaceSearcher(Protocol):
    """The one part of `cctrace.store.vector_index.VectorIndex` a trace needs."""

    def search_with_stats(
        self,
        queries: NDArray[np.float32],
        days: Sequence[str],
        k: int,
        min_similarity: float | None = None,
    ) -> tuple[list[list[Match]], list[ScoreStats]]: ...

    def prefetch(self, days: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class ScoredSighting:
    """A sighting believed to be the patient's, with why and how sure (confidence 0..1).

    ``similarity`` is the fused face cosine for face evidence, the appearance similarity
    to ``parent_id`` (the sighting it was reached from) otherwise.
    """

    sighting: Sighting
    evidence: Evidence
    confidence: float
    similarity: float
    parent_id: str | None = None


@dataclass(frozen=True)
class FaceThreshold:
    """The face threshold one case's search used, and over how many faces (index
    entries times reference queries) it was set."""

    threshold: float
    faces_searched: int


@dataclass(frozen=True)
class CaseScope:
    """What one case may see: its time window and, optionally, its cameras."""

    case_id: str
    t_from_s: float
    t_to_s: float
    camera_ids: frozenset[str] | None

    @classmethod
    def of(cls, query: CaseQuery) -> CaseScope:
        if not (np.isfinite(query.t_from_s) and np.isfinite(query.t_to_s)):
            raise InputError(f"case {query.case_id}: the time window must be finite")
        if query.t_to_s < query.t_from_s:
            raise InputError(
                f"case {query.case_id}: the time window ends before it starts "
                f"({query.t_from_s} > {query.t_to_s})"
            )
        cams = None if query.camera_ids is None else frozenset(query.camera_ids)
        return cls(query.case_id, float(query.t_from_s), float(query.t_to_s), cams)

    def admits_camera(self, camera_id: str) -> bool:
        return self.camera_ids is None or camera_id in self.camera_ids

    def clip(self, s: Sighting) -> Sighting | None:
        """The part of ``s`` inside the scope (path samples outside dropped), or None."""
        if not self.admits_camera(s.camera_id):
            return None
        if s.t_end_s < self.t_from_s or s.t_start_s > self.t_to_s:
            return None
        if s.t_start_s >= self.t_from_s and s.t_end_s <= self.t_to_s:
            return s
        t = np.asarray(s.path_t_s, np.float64)
        keep = (t >= self.t_from_s) & (t <= self.t_to_s)
        boxes = None if s.path_box_xyxy is None else s.path_box_xyxy[keep]
        return dataclasses.replace(
            s,
            t_start_s=max(s.t_start_s, self.t_from_s),
            t_end_s=min(s.t_end_s, self.t_to_s),
            path_t_s=t[keep],
            path_floor_xy_m=s.path_floor_xy_m[keep],
            path_box_xyxy=boxes,
        )

    def clip_all(self, sightings: Iterable[Sighting]) -> list[Sighting]:
        return [c for s in sightings if (c := self.clip(s)) is not None]


def window_days(t_from_s: float, t_to_s: float) -> list[str]:
    """Every UTC day ``YYYY-MM-DD`` from the one holding ``t_from_s`` to ``t_to_s``'s."""
    day = datetime.fromtimestamp(t_from_s, UTC).date()
    last = datetime.fromtimestamp(t_to_s, UTC).date()
    days = []
    while day <= last:
        days.append(day.isoformat())
        day += timedelta(days=1)
    return days


def reference_queries(references: NDArray[np.floating], fusion: FaceFusion) -> F64:
    """Index queries (Q, D) unit rows from (R, D) reference embeddings.

    "mean": one row, the renormalised mean of the unit references (their noise averages
    out while the identity adds up). "max": the R unit references themselves; a face's
    score is then its best cosine to any of them.
    """
    refs = np.asarray(references, np.float64)
    if refs.ndim == 1:
        refs = refs.reshape(1, -1)
    if refs.ndim != 2 or len(refs) == 0:
        raise InputError(f"reference embeddings must be (R, D) with R >= 1, got {refs.shape}")
    if not np.all(np.isfinite(refs)):
        raise InputError("reference embeddings contain NaN or infinity")
    unit = unit_rows(refs)
    if fusion == "mean":
        return unit_rows(unit.mean(axis=0, keepdims=True))
    return unit


def fused_similarity(queries: F64, faces: NDArray[np.floating]) -> F64:
    """(N,) score of N faces (N, D) against a case's queries (Q, D): the best cosine."""
    f = unit_rows(np.asarray(faces, np.float64).reshape(-1, queries.shape[1]))
    if len(f) == 0:
        return np.zeros((0,), np.float64)
    return np.asarray((f @ queries.T).max(axis=1), np.float64)


def margin_confidence(similarity: F64 | float, threshold: float, full_margin: float) -> F64:
    """Confidence from how far a similarity clears its threshold: 0.5 at the threshold,
    1 at ``full_margin`` above it, linear between (0.5 below: callers filter first)."""
    margin = (np.asarray(similarity, np.float64) - threshold) / full_margin
    return np.asarray(0.5 + 0.5 * np.clip(margin, 0.0, 1.0), np.float64)


# -- the store, read once per batch ------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A camera and a span of time whose sightings are needed."""

    camera_id: str
    t_from_s: float
    t_to_s: float


def merge_intervals(
    intervals: Iterable[tuple[float, float]], join_gap_s: float = 0.0
) -> list[tuple[float, float]]:
    """Union of closed intervals, sorted and disjoint (those at most ``join_gap_s`` apart
    joined)."""
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + join_gap_s:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def merged_windows(windows: Iterable[Window]) -> dict[str, list[tuple[float, float]]]:
    """Per camera, the union of ``windows``' spans (sorted, disjoint; empty spans
    dropped): a sighting overlaps some window exactly when it overlaps the union, and
    the windows of one stay's seeds overlap each other almost wholly."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for w in windows:
        if w.t_to_s >= w.t_from_s:
            spans.setdefault(w.camera_id, []).append((w.t_from_s, w.t_to_s))
    return {cam: merge_intervals(v) for cam, v in spans.items()}


def overlaps_union(
    union: Sequence[tuple[float, float]], starts: F64, ends: F64
) -> NDArray[np.bool_]:
    """(N,) whether each interval ``[starts[i], ends[i]]`` overlaps some span of
    ``union`` (sorted and disjoint, as `merge_intervals` gives it): one binary search.
    The last span starting at or before an interval's end is the one with the latest
    end among those it could overlap."""
    if not union:
        return np.zeros(len(starts), np.bool_)
    lo = np.array([u[0] for u in union])
    hi = np.array([u[1] for u in union])
    k = np.searchsorted(lo, ends, side="right") - 1
    ok = k >= 0
    ok[ok] = hi[k[ok]] >= starts[ok]
    return ok


def _clusters(
    spans: Sequence[tuple[float, float, str]], max_span_s: float
) -> list[tuple[float, float, list[str]]]:
    """Camera spans grouped into store queries: spans overlapping in time share one query
    (its span their union, at most ``max_span_s`` long unless one span alone is longer)."""
    out: list[tuple[float, float, list[str]]] = []
    for lo, hi, cam in sorted(spans):
        if out and lo <= out[-1][1] and max(hi, out[-1][1]) - out[-1][0] <= max_span_s:
            c_lo, c_hi, cams = out[-1]
            out[-1] = (c_lo, max(c_hi, hi), [*cams, cam] if cam not in cams else cams)
        else:
            out.append((lo, hi, [cam]))
    return out


class SightingPool:
    """Sightings (with biometrics) read from the store for a whole batch, each span once.

    Requests are merged per camera, spans already read are skipped, and spans that
    overlap in time share one query over their cameras. ``queries`` counts the store
    queries made.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_camera: dict[str, dict[str, Sighting]] = {}
        self._covered: dict[str, list[tuple[float, float]]] = {}
        # Per camera, its fetched sightings sorted by start, with start and end arrays:
        # `in_window` is then a binary search, not a scan (rebuilt after a fetch adds).
        self._sorted: dict[str, tuple[F64, F64, list[Sighting]]] = {}
        self.queries = 0

    def fetch(self, windows: Iterable[Window]) -> None:
        wanted: dict[str, list[tuple[float, float]]] = {}
        for w in windows:
            if w.t_to_s >= w.t_from_s:
                wanted.setdefault(w.camera_id, []).append((w.t_from_s, w.t_to_s))
        needed: list[tuple[float, float, str]] = []
        for cam, spans in wanted.items():
            covered = self._covered.get(cam, [])
            for lo, hi in merge_intervals(spans):
                if not any(c_lo <= lo and hi <= c_hi for c_lo, c_hi in covered):
                    needed.append((lo, hi, cam))
        for lo, hi, cams in _clusters(needed, _CLUSTER_MAX_S):
            for start in range(0, len(cams), _STORE_IN_CHUNK):
                chunk = cams[start : start + _STORE_IN_CHUNK]
                self.queries += 1
                for s in self._store.sightings(
                    chunk, lo, hi, with_biometrics=True, with_thumbnail=False
                ):
                    self._by_camera.setdefault(s.camera_id, {})[s.sighting_id] = s
                    self._sorted.pop(s.camera_id, None)
            for cam in cams:
                self._covered[cam] = merge_intervals([*self._covered.get(cam, []), (lo, hi)])

    def fetch_alike(
        self,
        windows_of: Sequence[Sequence[Window]],
        seeds_of: Sequence[Sequence[Sighting]],
        threshold: float,
    ) -> None:
        """Read whole only those sightings in each case's windows that look like one of
        its seeds (appearance similarity at least ``threshold``, less a rounding margin).

        Screening reads ids, times and appearance vectors only (`Store.appearance_rows`):
        in a dense city most candidates of the appearance step look like someone else,
        and decoding them whole was most of a trace's time. It goes in two steps: the
        window index's colour sketches rule out the rows whose colour alone cannot reach
        the threshold (`colour_screen`), and only the others' vectors are read from the
        table (`_alike`). Nothing the appearance step could accept is left out: it needs
        that similarity to link a candidate at all.
        """
        spans = [
            (cam, lo, hi)
            for cam, v in merged_windows(w for windows in windows_of for w in windows).items()
            for lo, hi in v
        ]
        if not spans:
            return
        self.queries += 1
        at_least = threshold - INDEX_TOLERANCE
        # Per case: its windows' union per camera and its seeds' vectors. A case whose
        # vectors are another model's is not comparable (NaN in the step itself).
        cases = [
            (merged_windows(windows), np.stack(vs).astype(np.float32))
            for windows, seeds in zip(windows_of, seeds_of, strict=True)
            if (vs := [s.appearance for s in seeds if s.appearance is not None])
            and all(v.shape == (CNN_DIM + COLOUR_DIM,) for v in vs)
        ]
        screen = colour_screen([(u, ref[:, CNN_DIM:]) for u, ref in cases], at_least)
        rows = self._store.appearance_rows(spans, screen=screen)
        if not len(rows) or rows.appearance.shape[1] != CNN_DIM + COLOUR_DIM:
            return
        of_camera = _rows_by_camera(rows.camera_ids)
        alike: set[str] = set()
        for unions, ref in cases:
            hit = _rows_in_windows(of_camera, unions, rows.t_start_s, rows.t_end_s)
            if not len(hit):
                continue
            keep = _alike(ref, rows.appearance, hit, at_least)
            alike.update(rows.sighting_ids[i] for i in hit[keep])
        have = {i for by_id in self._by_camera.values() for i in by_id}
        missing = sorted(alike - have)
        self.queries += -(-len(missing) // _STORE_IN_CHUNK)
        for s in self._store.get_sightings(missing, with_biometrics=True, with_thumbnail=False):
            self._by_camera.setdefault(s.camera_id, {})[s.sighting_id] = s
            self._sorted.pop(s.camera_id, None)

    def in_window(self, w: Window) -> list[Sighting]:
        """Fetched sightings of ``w.camera_id`` overlapping ``w``'s span, by start time."""
        starts, ends, every = self._camera_sorted(w.camera_id)
        stop = int(np.searchsorted(starts, w.t_to_s, side="right"))
        return [every[i] for i in np.flatnonzero(ends[:stop] >= w.t_from_s)]

    def in_spans(self, camera_id: str, spans: Sequence[tuple[float, float]]) -> list[Sighting]:
        """Fetched sightings of ``camera_id`` overlapping any of ``spans`` (sorted and
        disjoint, as `merge_intervals` gives them), by start time: one binary search
        for all of them."""
        starts, ends, every = self._camera_sorted(camera_id)
        if not every or not spans:
            return []
        return [every[i] for i in np.flatnonzero(overlaps_union(spans, starts, ends))]

    def _camera_sorted(self, camera_id: str) -> tuple[F64, F64, list[Sighting]]:
        cached = self._sorted.get(camera_id)
        if cached is None:
            every = sorted(
                self._by_camera.get(camera_id, {}).values(),
                key=lambda s: (s.t_start_s, s.sighting_id),
            )
            starts, ends = sighting_intervals(every)
            cached = self._sorted[camera_id] = (starts, ends, every)
        return cached


_SCREEN_BLOCK = 4096


def colour_screen(
    cases: Sequence[tuple[dict[str, list[tuple[float, float]]], NDArray[np.float32]]],
    at_least: float,
) -> SketchScreen:
    """A `Store.appearance_rows` screen: keep a row if, for some case whose windows
    (merged, per camera) it overlaps, its colour sketch could still reach ``at_least``
    with a perfect CNN match against one of the case's seed colours (rows of
    ``(seeds, COLOUR_DIM)``), or it has no sketch (NaN: unknown, so it is read whole).

    The same exact bound as `_alike`, before anything but the index is read: the rows
    it drops `_alike` would drop too."""

    def screen(rows: SketchRows) -> NDArray[np.bool_]:
        keep = np.zeros(len(rows), np.bool_)
        unknown = np.isnan(rows.colour[:, 0]) if len(rows) else keep
        of_camera = _rows_by_camera(rows.camera_ids)
        colour = rows.colour.astype(np.float32)
        for unions, ref_colour in cases:
            hit = _rows_in_windows(of_camera, unions, rows.t_start_s, rows.t_end_s)
            if len(hit):
                keep[hit[_colour_may_reach(ref_colour, colour[hit], at_least) | unknown[hit]]] = (
                    True
                )
        return keep

    return screen


def _colour_may_reach(
    ref_colour: NDArray[np.float32], colour: NDArray[np.float32], at_least: float
) -> NDArray[np.bool_]:
    """(len(colour),) whether each colour row could still be ``at_least`` alike to some
    row of ``ref_colour`` with a perfect CNN match: the combined similarity is
    ``w * cnn + (1 - w) * colour``, and a CNN cosine of unit rows is at most 1 (1.01
    allows for float16 norms). An exact bound: a row it rules out is not alike. NaN
    rows are ruled out (the caller decides what an unknown colour means)."""
    with np.errstate(invalid="ignore"):
        bound = CNN_WEIGHT * 1.01 + (1.0 - CNN_WEIGHT) * (ref_colour @ colour.T)
        return np.asarray((bound >= at_least).any(axis=0), np.bool_)


def _rows_by_camera(camera_ids: Sequence[str]) -> dict[str, NDArray[np.intp]]:
    """Row numbers of each camera in ``camera_ids``."""
    grouped: dict[str, list[int]] = {}
    for i, cam in enumerate(camera_ids):
        grouped.setdefault(cam, []).append(i)
    return {cam: np.asarray(ix, np.intp) for cam, ix in grouped.items()}


def _rows_in_windows(
    of_camera: dict[str, NDArray[np.intp]],
    unions: dict[str, list[tuple[float, float]]],
    t_start_s: F64,
    t_end_s: F64,
) -> NDArray[np.intp]:
    """The rows (sorted, each once) overlapping a camera's windows (``unions``, merged
    per camera as `merged_windows` gives them)."""
    hits = [
        idx[overlaps_union(union, t_start_s[idx], t_end_s[idx])]
        for cam, union in unions.items()
        if (idx := of_camera.get(cam)) is not None
    ]
    return np.unique(np.concatenate(hits)) if hits else np.zeros(0, np.intp)


def _alike(
    ref: NDArray[np.float32], vectors: NDArray[np.float16], rows: NDArray[np.intp], at_least: float
) -> NDArray[np.bool_]:
    """(len(rows),) whether each of ``vectors[rows]`` is at least ``at_least`` alike to
    some row of ``ref`` (`appearance_vector_similarity`).

    The combined similarity is ``w * cnn + (1 - w) * colour`` with both cosines of
    non-negative unit vectors at most 1, so a row whose colour alone cannot reach
    ``at_least`` even with a perfect CNN match is not alike: the 40 colour numbers
    decide most rows, and only the rest are widened to float32 (a block at a time, into
    one reused buffer) for the 1,280-d CNN part.
    """
    out = np.zeros(len(rows), np.bool_)
    half = np.empty((min(_SCREEN_BLOCK, len(rows)), vectors.shape[1]), np.float16)
    wide = np.empty(half.shape, np.float32)
    ref_colour = ref[:, CNN_DIM:]
    for start in range(0, len(rows), _SCREEN_BLOCK):
        block = rows[start : start + _SCREEN_BLOCK]
        n = len(block)
        np.take(vectors, block, axis=0, out=half[:n])
        maybe = np.flatnonzero(
            _colour_may_reach(ref_colour, half[:n, CNN_DIM:].astype(np.float32), at_least)
        )
        if not len(maybe):
            continue
        m = len(maybe)
        wide[:m] = half[maybe]
        sim = appearance_vector_similarity(ref, wide[:m])
        with np.errstate(invalid="ignore"):
            out[start + maybe] = np.nanmax(sim, axis=0, initial=-1.0) >= at_least
    return out


# -- 1. face ---------------------------------------------------------------------------


def face_search(
    store: Store,
    index: FaceSearcher,
    scopes: Sequence[CaseScope],
    references: Sequence[NDArray[np.floating]],
    settings: TraceSettings,
    on_day: Callable[[int, int], None] | None = None,
) -> tuple[list[list[ScoredSighting]], list[FaceThreshold]]:
    """Face-confirmed sightings of each case (same order as ``scopes``), by start time,
    and the threshold each case's faces had to reach (`gallery_threshold`).

    ``on_day(i, n)`` is told before the i-th of the n days is searched (a trace's progress:
    in a large city the day-by-day search is most of the trace)."""
    case_queries = [reference_queries(r, settings.face_fusion) for r in references]
    if not case_queries:
        return [], []
    stacked = np.concatenate(case_queries).astype(np.float32)
    owner = np.concatenate([np.full(len(q), i) for i, q in enumerate(case_queries)])
    case_days = [
        set(window_days(sc.t_from_s - settings.sighting_max_span_s, sc.t_to_s)) for sc in scopes
    ]
    hits: list[set[str]] = [set() for _ in scopes]
    row_stats = [ScoreStats() for _ in range(len(stacked))]
    all_days = sorted(set().union(*case_days))
    index.prefetch(all_days)  # decrypted several at once, before the day-by-day search
    for n, day in enumerate(all_days, 1):
        if on_day is not None:
            on_day(n, len(all_days))
        rows = [r for r in range(len(stacked)) if day in case_days[owner[r]]]
        matches, stats = index.search_with_stats(
            stacked[rows],
            [day],
            settings.face_max_hits_per_day,
            min_similarity=settings.face_threshold - INDEX_TOLERANCE,
        )
        for r, found, st in zip(rows, matches, stats, strict=True):
            hits[owner[r]].update(m.sighting_id for m in found)
            row_stats[r] = row_stats[r].plus(st)
    case_stats = [
        [row_stats[r] for r in range(len(stacked)) if owner[r] == i] for i in range(len(scopes))
    ]
    thresholds = [
        gallery_threshold(stats, settings.face_threshold, settings.face_chance_matches)
        for stats in case_stats
    ]
    every_hit = sorted(set().union(*hits))
    stored = {
        s.sighting_id: s
        for s in store.get_sightings(every_hit, with_biometrics=True, with_thumbnail=False)
    }
    out: list[list[ScoredSighting]] = []
    for scope, queries, case_hits, threshold in zip(
        scopes, case_queries, hits, thresholds, strict=True
    ):
        clipped = scope.clip_all(stored[i] for i in sorted(case_hits) if i in stored)
        with_face = [s for s in clipped if s.face_embedding is not None]
        if not with_face:
            out.append([])
            continue
        faces = np.stack([np.asarray(s.face_embedding, np.float64) for s in with_face])
        sim = fused_similarity(queries, faces)
        conf = margin_confidence(sim, threshold, settings.face_full_confidence_margin)
        scored = [
            ScoredSighting(s, "face", float(c), float(v))
            for s, v, c in zip(with_face, sim, conf, strict=True)
            if v >= threshold
        ]
        out.append(sorted(scored, key=_by_time))
    return out, [
        FaceThreshold(t, sum(st.count for st in stats))
        for t, stats in zip(thresholds, case_stats, strict=True)
    ]


def gallery_threshold(
    stats: Sequence[ScoreStats], threshold: float, chance_matches: float | None
) -> float:
    """The face threshold of one case: ``threshold``, raised until the strangers among
    the faces searched are expected to reach it ``chance_matches`` times at most.

    ``stats`` are the case's index queries' scores over every face searched (one per
    reference query; with "max" fusion a face is tested against each, so the chances
    add up). Each query's strangers are taken as normal with its scores' mean and
    standard deviation; the threshold is the highest of ``mean + z * std``, z the normal
    quantile of ``chance_matches / (faces x queries)``.
    """
    if chance_matches is None or not stats:
        return threshold
    tries = sum(s.count for s in stats)
    if tries <= chance_matches:
        return threshold
    z = -NormalDist().inv_cdf(chance_matches / tries)
    return max([threshold, *(s.mean + z * s.std for s in stats if s.count >= _STATS_MIN_FACES)])


# -- 2. appearance across cameras ---------------------------------------------------------


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


# -- 3. along one camera's tracks ---------------------------------------------------------


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


# -- the whole search ----------------------------------------------------------------------


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
        q.case_id: sorted(case.values(), key=_by_time)
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


def not_vetoed(candidates: list[Sighting], refs: F64, settings: TraceSettings) -> list[Sighting]:
    """Drop candidates whose own unmasked face clearly is not the patient's."""
    out = []
    for c in candidates:
        if (
            c.face_embedding is not None
            and c.face_quality >= settings.face_veto_min_quality
            and (c.mask_ratio is None or c.mask_ratio < settings.masked_min_ratio)
            and float(fused_similarity(refs, c.face_embedding[None])[0]) < settings.face_veto_below
        ):
            continue
        out.append(c)
    return out


def _around(s: Sighting, margin_s: float, scope: CaseScope) -> Window:
    return Window(
        s.camera_id,
        max(s.t_start_s - margin_s, scope.t_from_s),
        min(s.t_end_s + margin_s, scope.t_to_s),
    )


def _by_time(s: ScoredSighting) -> tuple[float, str]:
    return (s.sighting.t_start_s, s.sighting.sighting_id)


__all__ = [
    "CaseScope",
    "FaceThreshold",
    "ScoredSighting",
    "SightingPool",
    "Window",
    "continue_tracks",
    "contradicts_faces",
    "elsewhere_at_once",
    "extend_by_appearance",
    "face_search",
    "find_patient_sightings",
    "fused_similarity",
    "margin_confidence",
    "not_vetoed",
    "reference_queries",
    "window_days",
]
