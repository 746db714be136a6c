"""The face step of a trace: each case's reference faces fused into queries, searched
through the face index one UTC day at a time, each hit rescored from its stored
embedding for its own case, at a threshold set from the faces searched
(`gallery_threshold`); and the face veto that keeps a candidate only when it is not
clearly someone else (`not_vetoed`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError
from cctrace.core.types import Sighting
from cctrace.store.repository import Store
from cctrace.store.vector_index import Match, ScoreStats
from cctrace.trace.plausibility import (
    F64,
    unit_rows,
)
from cctrace.trace.scope import CaseScope, window_days
from cctrace.trace.settings import INDEX_TOLERANCE, FaceFusion, TraceSettings
from cctrace.trace.types import ScoredSighting, by_time

_STATS_MIN_FACES = 100
"""Fewer faces searched than this say too little about a query's strangers (and a
handful of them cannot make a chance match likely at the fixed threshold anyway)."""


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
class FaceThreshold:
    """The face threshold one case's search used, and over how many faces (index
    entries times reference queries) it was set."""

    threshold: float
    faces_searched: int


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
        out.append(sorted(scored, key=by_time))
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
