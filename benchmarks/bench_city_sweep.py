"""Route and contact accuracy of the real trace over a sweep of city densities (issue 15.5).

Each density (cameras x people) is simulated at several seeds (`cctrace.sim.city`),
stored as ingestion would store it (`write_world`), and every patient of every city is
traced through `cctrace.trace.engine.trace_cases` under each policy and scored against
the simulator's truth (`cctrace.sim.evaluate.evaluate`). One row per density: route
recall and precision and each policy's contact F1, pooled over the seeds (sums of times
and counts, not means of ratios), and the worst single city beside each.

    # the held-out seeds (the figures in docs/benchmarks.md). CPU time: a 60 x 1,000
    # city takes about 35 s to simulate and store and about 70 s to trace under the
    # three policies; the whole sweep about 15 CPU-minutes, twice that with --compare.
    # Seeds and densities may run as separate processes (--seeds, --densities) sharing
    # one --workdir.
    nice -n 5 .venv/bin/python benchmarks/bench_city_sweep.py
    # the development seeds, which the trace's rules were looked at and tuned on
    nice -n 5 .venv/bin/python benchmarks/bench_city_sweep.py --dev
    # the same cities traced with the new rules switched off too, side by side
    nice -n 5 .venv/bin/python benchmarks/bench_city_sweep.py --compare
    # keep the written cities (writing a 60 x 1,000 city takes about 40 s) for a rerun
    .venv/bin/python benchmarks/bench_city_sweep.py --workdir /tmp/city-sweep

Seeds: the tests and earlier measurements used seeds 0-19 and 99; development here used
`DEV_SEEDS`; `HELD_OUT_SEEDS` were run only to report, never to choose a rule or value.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cctrace.config import POLICIES
from cctrace.sim.city import simulate
from cctrace.sim.evaluate import EvalReport, evaluate
from cctrace.sim.store_writer import truth_path, write_world
from cctrace.sim.world import SimConfig
from cctrace.trace.settings import TraceSettings

DENSITIES: tuple[tuple[int, int], ...] = ((12, 100), (24, 200), (40, 400), (60, 1000))
DEV_SEEDS: tuple[int, ...] = (501, 502, 503, 504, 505)
HELD_OUT_SEEDS: tuple[int, ...] = (901, 902, 903, 904, 905)
PATIENTS_PER_CITY = 10

OFF: dict[str, object] = {"appearance_self_spread": None}
"""Setting values that switch each dense-city rule off: the appearance link's threshold
raised to the patient's own cross-camera consistency (`appearance_self_spread`)."""


def baseline_settings() -> TraceSettings:
    """Today's defaults with the dense-city rules switched off (what `--compare` runs)."""
    return replace(TraceSettings(), **OFF)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CityRun:
    cameras: int
    people: int
    seed: int
    report: EvalReport
    seconds: float


def city_root(workdir: Path, cameras: int, people: int, seed: int, hours: float) -> Path:
    return workdir / f"city-{cameras}x{people}-{hours:g}h-seed{seed}"


def run_city(
    workdir: Path,
    cameras: int,
    people: int,
    seed: int,
    patients: int,
    hours: float,
    noise: float,
    settings: Sequence[TraceSettings],
) -> list[CityRun]:
    """Simulate and store one city (unless ``workdir`` holds it already) and evaluate it
    under each of ``settings``."""
    config = SimConfig(
        cameras=cameras, people=people, seed=seed, patients=patients, hours=hours, noise=noise
    )
    root = city_root(workdir, cameras, people, seed, hours)
    if root.exists() and not truth_path(root).exists():
        shutil.rmtree(root)  # a city whose writing was interrupted: the truth comes last
    write_world(simulate(config), root, env={})
    out = []
    for s in settings:
        started = time.perf_counter()
        report = evaluate(root, list(POLICIES.values()), s, env={})
        out.append(CityRun(cameras, people, seed, report, time.perf_counter() - started))
    return out


def pooled(runs: Sequence[CityRun]) -> EvalReport:
    first = runs[0].report
    route = first.route
    contacts = dict(first.contacts)
    for r in runs[1:]:
        route = route + r.report.route
        contacts = {k: contacts[k] + r.report.contacts[k] for k in contacts}
    return EvalReport(
        route,
        contacts,
        first.default_policy,
        sum(r.report.patients for r in runs),
        sum(r.report.trace_s for r in runs),
    )


def table(rows: Sequence[tuple[str, Sequence[CityRun]]]) -> str:
    """Markdown: per density, pooled figures with the worst city's in brackets."""
    policies = list(POLICIES)
    head = ["cameras x people", "cities", "patients", "route recall", "route precision"]
    head += [f"{p} F1 (TP / FP / FN)" for p in policies]
    head += ["s per city"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, runs in rows:
        p = pooled(runs)
        cells = [
            label,
            str(len(runs)),
            str(p.patients),
            f"{p.route.recall:.3f} ({min(r.report.route.recall for r in runs):.3f})",
            f"{p.route.precision:.3f} ({min(r.report.route.precision for r in runs):.3f})",
        ]
        for name in policies:
            c = p.contacts[name]
            worst = min(r.report.contacts[name].f1 for r in runs)
            cells.append(
                f"{c.f1:.3f} ({worst:.2f}); {c.true_positives} / {c.false_positives} / "
                f"{c.false_negatives}"
            )
        cells.append(f"{sum(r.seconds for r in runs) / len(runs):.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def meets_target(runs: Sequence[CityRun]) -> bool:
    """Issue 15.5: pooled route precision >= 0.95 at recall >= 0.98, contact F1 >= 0.95
    under every policy."""
    p = pooled(runs)
    return (
        p.route.precision >= 0.95
        and p.route.recall >= 0.98
        and all(c.f1 >= 0.95 for c in p.contacts.values())
    )


def parse_densities(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        cams, _, people = part.strip().partition("x")
        out.append((int(cams), int(people)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--densities",
        default=",".join(f"{c}x{p}" for c, p in DENSITIES),
        help="cameras x people, comma-separated (default %(default)s)",
    )
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--dev", action="store_true", help="the development seeds")
    group.add_argument("--seeds", help="comma-separated seeds instead of the held-out ones")
    ap.add_argument("--patients", type=int, default=PATIENTS_PER_CITY)
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--noise", type=float, default=1.0)
    ap.add_argument("--compare", action="store_true", help="also trace with the rules off")
    ap.add_argument("--workdir", type=Path, help="keep the cities here (reused if present)")
    args = ap.parse_args(argv)
    densities = parse_densities(args.densities)
    if args.dev:
        seeds: tuple[int, ...] = DEV_SEEDS
    elif args.seeds:
        seeds = tuple(int(s) for s in args.seeds.split(","))
    else:
        seeds = HELD_OUT_SEEDS
    variants = [("rules on (defaults)", TraceSettings())]
    if args.compare:
        variants.append(("rules off", baseline_settings()))
    with tempfile.TemporaryDirectory(prefix="cctrace-city-sweep-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        by_variant: list[list[tuple[str, list[CityRun]]]] = [[] for _ in variants]
        for cams, people in densities:
            per_variant: list[list[CityRun]] = [[] for _ in variants]
            for seed in seeds:
                runs = run_city(
                    workdir,
                    cams,
                    people,
                    seed,
                    args.patients,
                    args.hours,
                    args.noise,
                    [s for _, s in variants],
                )
                for i, run in enumerate(runs):
                    per_variant[i].append(run)
                    r = run.report
                    # Counts and seconds as well as ratios: an interrupted sweep can still
                    # be pooled from these lines.
                    print(
                        f"  {variants[i][0]}: {cams}x{people} seed {seed}: route "
                        f"{r.route.recall:.3f} / {r.route.precision:.3f} (true "
                        f"{r.route.true_s:.0f} s, traced {r.route.predicted_s:.0f} s, both "
                        f"{r.route.overlap_s:.0f} s), F1 "
                        + ", ".join(
                            f"{k} {c.f1:.2f} ({c.true_positives} / {c.false_positives} / "
                            f"{c.false_negatives})"
                            for k, c in r.contacts.items()
                        )
                        + f" ({run.seconds:.0f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
            for i in range(len(variants)):
                by_variant[i].append((f"{cams} x {people}", per_variant[i]))
    print(
        f"seeds {', '.join(map(str, seeds))}; {args.patients} patients per city, "
        f"{args.hours:g} h, noise {args.noise:g}; pooled (worst city)"
    )
    for (label, _), rows in zip(variants, by_variant, strict=True):
        print(f"\n{label}\n")
        print(table(rows))
        met = [lab for lab, runs in rows if meets_target(runs)]
        print(f"\ntarget met at: {', '.join(met) if met else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["CityRun", "main", "meets_target", "pooled", "run_city", "table"]
