"""Floor distances between people and between their paths over time.

Paths are sampled at each person's own frame times, so two paths are compared by linear
interpolation onto a common time grid over the span both cover. Pure numpy; times in
seconds (any common epoch), positions in floor metres.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]

DEFAULT_STEP_S = 0.25
"""Grid step of distance series: the ingestion samples about 4 frames per second, so a
finer grid adds no information and a coarser one misses short approaches."""


def pairwise_floor_distance_m(a_xy: ArrayLike, b_xy: ArrayLike) -> F64:
    """Euclidean floor distance of every pair, (N, 2) x (M, 2) metres -> (N, M) metres.

    NaN positions give NaN distances (unknown, not far).
    """
    a = np.asarray(a_xy, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b_xy, dtype=np.float64).reshape(-1, 2)
    diff = a[:, None, :] - b[None, :, :]
    return np.asarray(np.hypot(diff[..., 0], diff[..., 1]), dtype=np.float64)


def clean_path(t_s: ArrayLike, xy: ArrayLike) -> tuple[F64, F64]:
    """A path ready for interpolation: (K,) times and (K, 2) metres -> sorted, unique.

    Samples with a non-finite time or position (a foot above the horizon) are dropped.
    Unsorted times are sorted rather than refused: paths merged from several files or
    workers arrive in any order, and order carries no information a timestamp lacks.
    Samples sharing a timestamp (two detections of one track in one frame) are averaged.
    Raises ValueError when the lengths differ.
    """
    t_all = np.asarray(t_s, dtype=np.float64).reshape(-1)
    p_all = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    if len(t_all) != len(p_all):
        raise ValueError(f"t_s has {len(t_all)} samples but xy has {len(p_all)}")
    ok = np.isfinite(t_all) & np.isfinite(p_all).all(axis=1)
    if ok.all() and bool(np.all(t_all[1:] > t_all[:-1])):
        return t_all, p_all  # already clean (as a stored track's path is): nothing to do
    t, p = t_all[ok], p_all[ok]
    unique_t, inverse, counts = np.unique(t, return_inverse=True, return_counts=True)
    summed = np.zeros((len(unique_t), 2))
    np.add.at(summed, inverse, p)
    return unique_t, summed / counts[:, None]


def interpolate_path(
    t_s: ArrayLike,
    xy: ArrayLike,
    at_t_s: ArrayLike,
    *,
    max_gap_s: float | None = None,
) -> F64:
    """Positions (T, 2) metres of a path (K,) s / (K, 2) m at times (T,) s.

    Linear between samples; NaN before the first and after the last sample (a
    single-sample path is known only at its own time), and NaN inside any gap between
    consecutive samples longer than ``max_gap_s`` (the person was not seen, so a
    straight line through the gap would invent a position). See :func:`clean_path` for
    unsorted, duplicate and non-finite samples.
    """
    t, p = clean_path(t_s, xy)
    at = np.asarray(at_t_s, dtype=np.float64).reshape(-1)
    out = np.full((len(at), 2), np.nan)
    if len(t) == 0:
        return out
    inside = (at >= t[0]) & (at <= t[-1])
    if max_gap_s is not None and len(t) > 1:
        # Index of the segment [t[i], t[i+1]] holding each time; exact sample times are
        # known positions whatever the gaps on either side.
        seg = np.clip(np.searchsorted(t, at, side="right") - 1, 0, len(t) - 2)
        long_gap = (t[seg + 1] - t[seg]) > max_gap_s
        # t[seg] <= at < t[seg + 1] (the last segment also holds t[-1] itself).
        on_sample = (t[seg] == at) | (t[seg + 1] == at)
        inside &= ~long_gap | on_sample
    out[inside, 0] = np.interp(at[inside], t, p[:, 0])
    out[inside, 1] = np.interp(at[inside], t, p[:, 1])
    return out


def overlap_distance_series(
    t_a: ArrayLike,
    xy_a: ArrayLike,
    t_b: ArrayLike,
    xy_b: ArrayLike,
    step_s: float = DEFAULT_STEP_S,
    *,
    max_gap_s: float | None = None,
) -> tuple[F64, F64]:
    """Floor distance between two paths over the time both cover.

    t_a (K,) s, xy_a (K, 2) m, t_b (L,) s, xy_b (L, 2) m. Returns times (T,) s, a grid of
    ``step_s`` starting at the overlap's start (the overlap's end is included only when
    it falls on the grid), and distances (T,) m, NaN where either path has a gap longer
    than ``max_gap_s``. Both arrays are empty when the spans do not overlap; an overlap
    of a single instant gives one sample.
    """
    if not step_s > 0:
        raise ValueError(f"step_s must be positive, got {step_s}")
    ta, pa = clean_path(t_a, xy_a)
    tb, pb = clean_path(t_b, xy_b)
    empty = np.zeros((0,), dtype=np.float64)
    if len(ta) == 0 or len(tb) == 0:
        return empty, empty.copy()
    start, end = max(ta[0], tb[0]), min(ta[-1], tb[-1])
    if start > end:
        return empty, empty.copy()
    # Count steps with a small tolerance so that an end lying on the grid up to float
    # rounding (0.1 + 0.2) is kept.
    n = int(np.floor((end - start) / step_s + 1e-9)) + 1
    # Clamped: the rounding that kept the end may put the last grid time a hair past it.
    t = np.minimum(start + step_s * np.arange(n, dtype=np.float64), end)
    at_a = interpolate_path(ta, pa, t, max_gap_s=max_gap_s)
    at_b = interpolate_path(tb, pb, t, max_gap_s=max_gap_s)
    distance = np.hypot(at_a[:, 0] - at_b[:, 0], at_a[:, 1] - at_b[:, 1])
    return t, np.asarray(distance, dtype=np.float64)
