"""The standing distance of every simulated meeting against its truth (issue 15.5).

Each city (`cctrace.sim.city.simulate`, not stored) holds hundreds of meetings: two
people standing a known distance apart (0.5-1.5 m) for 5-40 minutes, each seen as track
pieces that carry their own constant foot-point offset. For every meeting, both people's
pieces during it are merged and smoothed as contacts merge them
(`cctrace.trace.contacts.merged_path`, the contact's `path_smooth_s`), put on the
distance grid and measured by `steady_distance` twice in the same run: over samples
(``pieces`` left out, the rule before) and with each piece counted once (``pieces``
from `piece_labels`, what `find_contacts` does now). The reading is the median over the
meeting less a minute at each end (where both stand still).

Printed per density: meetings, the signed error (reading less truth: mean, standard
deviation, 5th and 95th percentiles, cm) and how many meetings are read on the wrong
side of each policy's distance. No trace and no store: a 60 x 1,000 city takes about
40 s to simulate, the measurement a few seconds.

    nice -n 5 .venv/bin/python benchmarks/bench_standing_distance.py --seeds 951,952,953,954,955
    nice -n 5 .venv/bin/python benchmarks/bench_standing_distance.py --seeds 961,962,963,964,965 \\
        --densities 12x100,24x200,40x400,60x1000
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cctrace.config import POLICIES
from cctrace.core.types import Sighting
from cctrace.sim.city import simulate
from cctrace.sim.world import SimConfig, SimWorld
from cctrace.trace.contacts import (
    aligned_positions,
    merged_path,
    piece_labels,
    smooth_path,
    steady_distance,
)
from cctrace.trace.settings import TraceSettings

EDGE_S = 60.0
"""Left out at each end of a meeting when reading it: the people are still arriving."""


@dataclass(frozen=True)
class Reading:
    true_m: float
    by_sample_m: float
    by_piece_m: float


def meeting_readings(world: SimWorld, settings: TraceSettings) -> list[Reading]:
    """One reading per meeting of ``world`` whose two people are both seen during it."""
    step = settings.distance_step_s
    by_person: dict[int, list[Sighting]] = defaultdict(list)
    for s in world.sightings:
        by_person[world.truth.sighting_person[s.sighting_id]].append(s)
    out = []
    for m in world.truth.meetings:
        a = [s for s in by_person[m.a] if s.t_end_s > m.t_start_s and s.t_start_s < m.t_end_s]
        b = [s for s in by_person[m.b] if s.t_end_s > m.t_start_s and s.t_start_s < m.t_end_s]
        if not a or not b:
            continue
        t_a, xy_a = merged_path(a)
        t_b, xy_b = merged_path(b)
        xy_a = smooth_path(t_a, xy_a, settings.path_smooth_s)
        xy_b = smooth_path(t_b, xy_b, settings.path_smooth_s)
        k, at_a, at_b = aligned_positions(t_a, xy_a, t_b, xy_b, step, settings.path_max_gap_s)
        t = np.asarray(k * step, np.float64)
        by_sample = steady_distance(at_a, at_b, step, settings)
        pieces = (piece_labels(a, t), piece_labels(b, t))
        by_piece = steady_distance(at_a, at_b, step, settings, pieces)
        inside = (t >= m.t_start_s + EDGE_S) & (t <= m.t_end_s - EDGE_S) & np.isfinite(by_sample)
        if inside.any():
            out.append(
                Reading(
                    m.distance_m,
                    float(np.median(by_sample[inside])),
                    float(np.median(by_piece[inside])),
                )
            )
    return out


def summary(readings: Sequence[Reading]) -> list[str]:
    """Markdown rows: over samples, then by piece."""
    rows = []
    truth = np.array([r.true_m for r in readings])
    for label, got in (
        ("over samples (before)", np.array([r.by_sample_m for r in readings])),
        ("each piece once (now)", np.array([r.by_piece_m for r in readings])),
    ):
        err = (got - truth) * 100
        p5, p95 = np.percentile(err, [5, 95])
        wrong = [
            str(int(np.sum((got <= p.distance_m) != (truth < p.distance_m))))
            for p in POLICIES.values()
        ]
        rows.append(
            f"| {label} | {len(readings)} | {err.mean():+.2f} | {err.std():.2f} | "
            f"{p5:+.1f} / {p95:+.1f} | " + " | ".join(wrong) + " |"
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--densities", default="12x100,60x1000", help="cameras x people, commas")
    ap.add_argument("--seeds", required=True, help="comma-separated seeds")
    args = ap.parse_args(argv)
    settings = TraceSettings()
    seeds = [int(s) for s in args.seeds.split(",")]
    policies = list(POLICIES.values())
    head = "| cameras x people | distance | meetings | error mean cm | sd cm | 5th / 95th cm | "
    head += " | ".join(f"wrong side of {p.distance_m:g} m ({p.name})" for p in policies) + " |"
    print(f"seeds {args.seeds}\n\n{head}\n|" + "---|" * (6 + len(policies)))
    for part in args.densities.split(","):
        cams, _, people = part.strip().partition("x")
        readings: list[Reading] = []
        for seed in seeds:
            # The sweep's cities (bench_city_sweep: 10 patients, 2 h, default noise).
            config = SimConfig(
                cameras=int(cams), people=int(people), seed=seed, patients=10, hours=2.0
            )
            readings += meeting_readings(simulate(config), settings)
        for row in summary(readings):
            print(f"| {cams} x {people} {row}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
