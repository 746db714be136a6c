"""The simulated truth kept aside: which people are patients, and each patient's true
contacts under each policy, from true positions and mask states."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cctrace.config import Policy
from cctrace.sim.world import I64, Meeting, SimConfig, Track, TrueContact


def pick_patients(
    rng: np.random.Generator, meetings: list[Meeting], tracks: list[Track], c: SimConfig
) -> list[int]:
    """Patients: people who met someone first (they have contacts to find), then others
    seen for at least ten minutes."""
    met = [m.a for m in meetings] + [m.b for m in meetings]
    rng.shuffle(met)
    seen = [i for i, tr in enumerate(tracks) if len(tr.k) >= 600 * c.path_hz and i not in met]
    rng.shuffle(seen)
    out: list[int] = []
    for p in met + seen:
        if p not in out:
            out.append(p)
    return sorted(out[: c.patients])


def true_contacts(
    patient: int,
    tracks: list[Track],
    masked: NDArray[np.bool_],
    policies: list[Policy],
    path_hz: float,
    t0_s: float,
) -> list[TrueContact]:
    """Exposure of every other person to ``patient`` under each policy, from the true
    positions on the shared grid (same place, same instant)."""
    pt = tracks[patient]
    out: list[TrueContact] = []
    if not len(pt.k):
        return out
    dt = 1.0 / path_hz
    for other, ot in enumerate(tracks):
        if other == patient or not len(ot.k):
            continue
        common, ip, io = np.intersect1d(pt.k, ot.k, assume_unique=True, return_indices=True)
        if not len(common):
            continue
        same = pt.place[ip] == ot.place[io]
        if not same.any():
            continue
        k = common[same]
        d = np.linalg.norm(pt.xy[ip[same]] - ot.xy[io[same]], axis=1)
        both_masked = bool(masked[patient] and masked[other])
        for policy in policies:
            close = d < policy.distance_m
            if policy.both_masked_exempt and both_masked:
                close = np.zeros_like(close)
            exposure = _max_window_s(k[close], dt, path_hz, policy.window_s)
            out.append(
                TrueContact(
                    patient,
                    other,
                    policy.name,
                    exposure,
                    float(d.min()),
                    exposure >= policy.min_exposure_s,
                )
            )
    return out


def _max_window_s(k: I64, dt_s: float, path_hz: float, window_s: float | None) -> float:
    """Largest exposure (samples x dt) in any window of ``window_s`` (None: all of it)."""
    if window_s is None or not len(k):
        return float(len(k) * dt_s)
    span = int(window_s * path_hz)
    ends = np.searchsorted(k, k + span, side="left")
    return float((ends - np.arange(len(k))).max() * dt_s)
