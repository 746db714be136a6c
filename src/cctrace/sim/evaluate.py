"""Score a trace against the simulated truth: route, contacts, exposure and distance.

Pure metric functions first (parametrised tests in tests/sim/test_evaluate.py), then
`evaluate(home)`, which traces every simulated patient through the real engine
(`cctrace.trace.engine.trace_cases`) and scores the result, and `noise_sweep`, which
repeats it over noise levels for the table in docs/benchmarks.md.

Definitions:

- **Route** (time-weighted, per camera): recall is the time the predicted stays cover
  of the patient's true presences, over the true time; precision is the part of the
  predicted stay time that is true presence. Summed over cameras and patients.
- **Contacts** (per policy): a true close contact is a person whose true exposure
  reaches the policy's ``min_exposure_s``. A predicted contact is close when its risk
  is ``high``; it is the person most of its sightings show (truth's sighting-to-person
  map). Precision counts every predicted close contact: one that is not a true close
  contact, a second entry for a person already matched, or the patient themselves is
  a false positive. Recall is the share of true close contacts matched.
- **Exposure / distance error**: mean absolute difference between predicted and true
  exposure (s) and closest distance (m) over the matched close contacts.
"""

from __future__ import annotations

import math
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cctrace.config import DEFAULT_POLICY, POLICIES, Policy
from cctrace.sim.city import simulate
from cctrace.sim.store_writer import read_truth, write_world
from cctrace.sim.world import Presence, SimConfig, SimTruth
from cctrace.store.home import Home
from cctrace.store.repository import Store
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import CaseQuery, Contact, Stay, TraceResult

# -- pure metrics ----------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch of time at one camera (a true presence or a predicted stay)."""

    camera_id: str
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True)
class RouteScore:
    true_s: float
    predicted_s: float
    overlap_s: float

    @property
    def recall(self) -> float:
        return self.overlap_s / self.true_s if self.true_s > 0 else 1.0

    @property
    def precision(self) -> float:
        return self.overlap_s / self.predicted_s if self.predicted_s > 0 else 1.0

    def __add__(self, other: RouteScore) -> RouteScore:
        return RouteScore(
            self.true_s + other.true_s,
            self.predicted_s + other.predicted_s,
            self.overlap_s + other.overlap_s,
        )


def union_intervals(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, disjoint union of ``(start, end)`` intervals (empty ones dropped)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def intervals_overlap_s(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]
) -> float:
    """Total time covered by both the union of ``a`` and the union of ``b``."""
    ua, ub = union_intervals(a), union_intervals(b)
    total, i, j = 0.0, 0, 0
    while i < len(ua) and j < len(ub):
        lo, hi = max(ua[i][0], ub[j][0]), min(ua[i][1], ub[j][1])
        total += max(0.0, hi - lo)
        if ua[i][1] < ub[j][1]:
            i += 1
        else:
            j += 1
    return total


def route_score(predicted: Sequence[Span], truth: Sequence[Span]) -> RouteScore:
    """Time-weighted agreement of predicted stays with true presences, camera by camera."""
    cameras = {s.camera_id for s in predicted} | {s.camera_id for s in truth}
    score = RouteScore(0.0, 0.0, 0.0)
    for cam in cameras:
        p = [(s.t_start_s, s.t_end_s) for s in predicted if s.camera_id == cam]
        t = [(s.t_start_s, s.t_end_s) for s in truth if s.camera_id == cam]
        score = score + RouteScore(
            sum(b - a for a, b in union_intervals(t)),
            sum(b - a for a, b in union_intervals(p)),
            intervals_overlap_s(p, t),
        )
    return score


@dataclass(frozen=True)
class PredictedContact:
    """A predicted contact reduced to what scoring needs; ``person`` None: unknown."""

    person: int | None
    close: bool
    exposure_s: float
    min_distance_m: float


@dataclass(frozen=True)
class TrueExposure:
    person: int
    close: bool
    exposure_s: float
    min_distance_m: float


@dataclass(frozen=True)
class ContactScore:
    true_positives: int
    false_positives: int
    false_negatives: int
    exposure_abs_errors_s: tuple[float, ...] = ()
    distance_abs_errors_m: tuple[float, ...] = ()

    @property
    def recall(self) -> float:
        n = self.true_positives + self.false_negatives
        return self.true_positives / n if n else 1.0

    @property
    def precision(self) -> float:
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def exposure_error_s(self) -> float:
        e = self.exposure_abs_errors_s
        return sum(e) / len(e) if e else math.nan

    @property
    def distance_error_m(self) -> float:
        e = self.distance_abs_errors_m
        return sum(e) / len(e) if e else math.nan

    def __add__(self, other: ContactScore) -> ContactScore:
        return ContactScore(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
            self.exposure_abs_errors_s + other.exposure_abs_errors_s,
            self.distance_abs_errors_m + other.distance_abs_errors_m,
        )


def majority_person(sighting_ids: Sequence[str], sighting_person: Mapping[str, int]) -> int | None:
    """The person most of ``sighting_ids`` show (ties: the lowest id); None if none known."""
    votes = Counter(sighting_person[s] for s in sighting_ids if s in sighting_person)
    if not votes:
        return None
    best = max(votes.values())
    return min(p for p, n in votes.items() if n == best)


def contact_score(
    predicted: Sequence[PredictedContact], truth: Sequence[TrueExposure], patient: int
) -> ContactScore:
    """Score one patient's predicted close contacts against the true ones (module doc)."""
    true_close = {t.person: t for t in truth if t.close}
    matched: set[int] = set()
    fp = 0
    exposure_err: list[float] = []
    distance_err: list[float] = []
    # Largest exposure first, so a split person is matched by its main entry.
    for c in sorted(predicted, key=lambda c: -c.exposure_s):
        if not c.close:
            continue
        if c.person is None or c.person not in true_close or c.person in matched:
            fp += 1  # unknown, not a close contact (the patient included), or a duplicate
        else:
            matched.add(c.person)
            t = true_close[c.person]
            exposure_err.append(abs(c.exposure_s - t.exposure_s))
            distance_err.append(abs(c.min_distance_m - t.min_distance_m))
    return ContactScore(
        len(matched), fp, len(true_close) - len(matched), tuple(exposure_err), tuple(distance_err)
    )


def spans_of_stays(stays: Sequence[Stay]) -> list[Span]:
    return [Span(s.camera_id, s.t_start_s, s.t_end_s) for s in stays]


def spans_of_presences(presences: Sequence[Presence]) -> list[Span]:
    return [Span(p.camera_id, p.t_start_s, p.t_end_s) for p in presences]


def predicted_contacts(
    contacts: Sequence[Contact], sighting_person: Mapping[str, int]
) -> list[PredictedContact]:
    return [
        PredictedContact(
            majority_person(c.sighting_ids, sighting_person),
            c.risk == "high",
            c.exposure_s,
            c.min_distance_m,
        )
        for c in contacts
    ]


def true_exposures(truth: SimTruth, patient: int, policy: str) -> list[TrueExposure]:
    return [
        TrueExposure(c.other, c.close, c.exposure_s, c.min_distance_m)
        for c in truth.contacts
        if c.patient == patient and c.policy == policy
    ]


# -- evaluation of a stored simulated city ---------------------------------------------


@dataclass(frozen=True)
class EvalReport:
    """Scores of one simulated city; `to_json` gives the documented JSON shape."""

    route: RouteScore
    contacts: dict[str, ContactScore]
    default_policy: str
    patients: int
    trace_s: float
    """Wall time of the traces (engine's elapsed_s summed), all policies."""

    @property
    def exposure_error_s(self) -> float:
        return self.contacts[self.default_policy].exposure_error_s

    @property
    def distance_error_m(self) -> float:
        return self.contacts[self.default_policy].distance_error_m

    def to_json(self) -> dict[str, object]:
        return {
            "route": {"recall": self.route.recall, "precision": self.route.precision},
            "contacts": {
                name: {"recall": s.recall, "precision": s.precision, "f1": s.f1}
                for name, s in self.contacts.items()
            },
            "exposure_error_s": _finite_or_none(self.exposure_error_s),
            "distance_error_m": _finite_or_none(self.distance_error_m),
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def score_results(
    truth: SimTruth, results_by_policy: Mapping[str, Sequence[TraceResult]]
) -> tuple[RouteScore, dict[str, ContactScore]]:
    """Route (from the first policy's results: routes do not depend on policy) and
    contact scores per policy; result ``case_id`` is ``sim-patient-<person>``."""
    route = RouteScore(0.0, 0.0, 0.0)
    contacts: dict[str, ContactScore] = {}
    for i, (policy, results) in enumerate(results_by_policy.items()):
        total = ContactScore(0, 0, 0)
        for result in results:
            patient = patient_of_case(result.case_id)
            if i == 0:
                route = route + route_score(
                    spans_of_stays(result.route), spans_of_presences(truth.presences_of(patient))
                )
            total = total + contact_score(
                predicted_contacts(result.contacts, truth.sighting_person),
                true_exposures(truth, patient, policy),
                patient,
            )
        contacts[policy] = total
    return route, contacts


def case_id_of(patient: int) -> str:
    return f"sim-patient-{patient}"


def patient_of_case(case_id: str) -> int:
    return int(case_id.rsplit("-", 1)[1])


def sim_queries(truth: SimTruth) -> list[CaseQuery]:
    """One case per simulated patient: its reference photo and the whole sim window."""
    return [
        CaseQuery(case_id_of(p.person), p.reference_embeddings, truth.t_from_s, truth.t_to_s)
        for p in truth.patients
    ]


def evaluate(
    root: Path,
    policies: Sequence[Policy] | None = None,
    settings: TraceSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> EvalReport:
    """Trace every patient of the simulated city in ``root`` under each policy and score.

    ``settings`` goes to the engine unchanged (`cctrace.trace.settings.TraceSettings`).
    """
    from cctrace.trace.engine import trace_cases  # the engine is imported only when used

    pols = list(policies) if policies is not None else list(POLICIES.values())
    _, truth = read_truth(root)
    home = Home.at(root, env)
    queries = sim_queries(truth)
    results: dict[str, list[TraceResult]] = {}
    with Store.open(home) as store:
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        for policy in pols:
            results[policy.name] = trace_cases(store, index, queries, policy, settings)
    route, contacts = score_results(truth, results)
    default = DEFAULT_POLICY if DEFAULT_POLICY in contacts else pols[0].name
    elapsed = sum(r.elapsed_s for rs in results.values() for r in rs)
    return EvalReport(route, contacts, default, len(queries), elapsed)


# -- noise sweep -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepRow:
    noise: float
    seeds: tuple[int, ...]
    report: EvalReport


def noise_sweep(
    levels: Sequence[float],
    base: SimConfig,
    seeds: Sequence[int] = (0,),
    policies: Sequence[Policy] | None = None,
    settings: TraceSettings | None = None,
    workdir: Path | None = None,
) -> list[SweepRow]:
    """Simulate, store and evaluate ``base`` at every noise level and seed; scores of
    one level are pooled over its seeds (sums of times and counts, not mean of ratios)."""
    rows = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="cctrace-sweep-") as tmp:
        for level in levels:
            pooled: EvalReport | None = None
            for seed in seeds:
                config = replace(base, noise=level, seed=seed)
                root = Path(tmp) / f"noise{level:g}-seed{seed}"
                write_world(simulate(config), root, env={})
                report = evaluate(root, policies, settings, env={})
                pooled = report if pooled is None else _pool(pooled, report)
            assert pooled is not None
            rows.append(SweepRow(level, tuple(seeds), pooled))
    return rows


def _pool(a: EvalReport, b: EvalReport) -> EvalReport:
    return EvalReport(
        a.route + b.route,
        {k: a.contacts[k] + b.contacts[k] for k in a.contacts},
        a.default_policy,
        a.patients + b.patients,
        a.trace_s + b.trace_s,
    )


def _cell(x: float, fmt: str) -> str:
    """A table cell: an error with no matched contact to measure it on is a dash, not nan."""
    return fmt.format(x) if math.isfinite(x) else "–"


def sweep_table(rows: Sequence[SweepRow]) -> str:
    """A Markdown table: one row per noise level, route and contact scores side by side."""
    if not rows:
        return ""
    names = list(rows[0].report.contacts)
    head = ["noise", "patients", "route recall", "route precision"]
    head += [f"{n} R / P / F1" for n in names]
    head += ["exposure err s", "distance err m", "true close (kdca)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for row in rows:
        r = row.report
        cells = [
            f"{row.noise:g}",
            str(r.patients),
            f"{r.route.recall:.3f}",
            f"{r.route.precision:.3f}",
        ]
        for n in names:
            s = r.contacts[n]
            cells.append(f"{s.recall:.2f} / {s.precision:.2f} / {s.f1:.2f}")
        d = r.contacts[r.default_policy]
        cells += [
            _cell(r.exposure_error_s, "{:.0f}"),
            _cell(r.distance_error_m, "{:.2f}"),
            str(d.true_positives + d.false_negatives),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


__all__ = [
    "ContactScore",
    "EvalReport",
    "PredictedContact",
    "RouteScore",
    "Span",
    "SweepRow",
    "TrueExposure",
    "contact_score",
    "evaluate",
    "intervals_overlap_s",
    "majority_person",
    "noise_sweep",
    "route_score",
    "score_results",
    "sim_queries",
    "sweep_table",
    "union_intervals",
]
