"""The sightings a trace reads around what it found (`SightingPool`): each camera's rows
of the wanted windows read once from the store, screened by the stored colour sketch
before any appearance vector is decrypted (`colour_screen`), and compared by appearance
(`_alike`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import Sighting
from cctrace.store.records import SketchRows, SketchScreen
from cctrace.store.repository import Store
from cctrace.trace.plausibility import (
    F64,
    sighting_intervals,
)
from cctrace.trace.scope import (
    Window,
    merge_intervals,
    merged_windows,
    overlaps_union,
)
from cctrace.trace.settings import INDEX_TOLERANCE
from cctrace.vision.appearance import (
    CNN_DIM,
    CNN_WEIGHT,
    COLOUR_DIM,
    appearance_vector_similarity,
)

_STORE_IN_CHUNK = 500


_CLUSTER_MAX_S = 3600.0
"""Longest span one shared store query covers: joining spans saves queries but reads
each camera over the whole union, so the union is kept short."""


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
