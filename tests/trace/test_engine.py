"""The whole trace over a real store: route, contacts, scope and batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from cctrace.config import get_policy
from cctrace.core.types import FloatArray
from cctrace.store.repository import Store
from cctrace.store.vector_index import FlatFaceIndex, Match, ScoreStats
from cctrace.trace.engine import TraceSettings, trace_cases
from cctrace.trace.pool import SightingPool
from cctrace.trace.search import find_patient_sightings
from cctrace.trace.types import CaseQuery, TraceResult
from tests.trace.scenario import DAY_S, REGION, T0, case_p, case_q, case_r

NEVER = {"p-far", "p-out", "p-before", "p-yesterday"}


class CountingIndex:
    """The real index, counting which days each search call reads."""

    def __init__(self, inner: FlatFaceIndex) -> None:
        self.inner = inner
        self.days_searched: list[str] = []
        self.calls = 0

    def search_with_stats(
        self, queries: FloatArray, days: Sequence[str], k: int, min_similarity: float | None = None
    ) -> tuple[list[list[Match]], list[ScoreStats]]:
        self.calls += 1
        self.days_searched += list(days)
        return self.inner.search_with_stats(queries, days, k, min_similarity)

    def prefetch(self, days: Sequence[str]) -> None:
        self.inner.prefetch(days)


def _all_ids(result: TraceResult) -> set[str]:
    ids = {i for stay in result.route for i in stay.sighting_ids}
    return ids | {i for c in result.contacts for i in c.sighting_ids}


def test_route_follows_the_patient_by_face_track_and_appearance(
    store: Store, index: FlatFaceIndex
) -> None:
    (result,) = trace_cases(store, index, [case_p()], get_policy("kdca-2022"))
    route = result.route
    assert [(s.camera_id, s.evidence) for s in route] == [
        ("cam-a", "face"),
        ("cam-b", "appearance"),
        ("cam-a", "face"),
    ]
    # The four checkpoint pieces make one stay, p-a2 (no face) joined along the track.
    assert route[0].sighting_ids == ("p-a1", "p-a2", "p-a3", "p-a4")
    assert (route[0].t_start_s, route[0].t_end_s) == (T0, T0 + 1200)
    assert route[0].masked_ratio == 0.0 and route[0].site == "Mall"
    assert route[1].sighting_ids == ("p-b",) and route[1].masked_ratio == 1.0
    assert route[1].confidence < route[0].confidence
    # p-late runs to T0 + 3700 but the window closes at T0 + 3600.
    assert route[2].sighting_ids == ("p-late",)
    assert route[2].t_end_s == T0 + 3600
    assert result.policy == "kdca-2022" and result.elapsed_s > 0


def test_evidence_of_each_sighting(store: Store, index: FlatFaceIndex) -> None:
    found = find_patient_sightings(store, index, [case_p()])["case-p"]
    by_id = {s.sighting.sighting_id: s for s in found}
    assert {i: s.evidence for i, s in by_id.items()} == {
        "p-a1": "face",
        "p-a2": "track",
        "p-a3": "face",
        "p-a4": "face",
        "p-b": "appearance",
        "p-late": "face",
    }
    assert by_id["p-a2"].parent_id in {"p-a1", "p-a3"}
    assert by_id["p-b"].parent_id == "p-a4"  # the only face seed within walking time
    assert by_id["p-b"].confidence < by_id["p-a4"].confidence


def test_nothing_outside_the_window_or_region_ever_comes_back(
    store: Store, index: FlatFaceIndex
) -> None:
    q = case_p()
    for policy in ("kdca-2022", "cdc-2020", "who-2020"):
        (result,) = trace_cases(store, index, [q], get_policy(policy))
        assert not _all_ids(result) & NEVER
        for stay in result.route:
            assert stay.camera_id in REGION
            assert q.t_from_s <= stay.t_start_s <= stay.t_end_s <= q.t_to_s
        for c in result.contacts:
            for e in c.encounters:
                assert e.camera_id in REGION
                assert q.t_from_s <= e.t_start_s <= e.t_end_s <= q.t_to_s
    found = find_patient_sightings(store, index, [q])["case-p"]
    for s in found:
        assert s.sighting.camera_id in REGION
        assert q.t_from_s <= s.sighting.path_t_s.min() <= s.sighting.path_t_s.max() <= q.t_to_s


@pytest.mark.parametrize(
    ("t_from_s", "t_to_s", "cameras"),
    [
        (T0 - 3600, T0 - 3000, ("cam-out",)),  # p-before's time, another camera's region
        (T0 + 550, T0 + 750, ("cam-b",)),  # p-out's time, not its camera
        (T0 - DAY_S + 250, T0 - DAY_S + 290, ("cam-b",)),  # yesterday, wrong camera
        (T0 + 1201, T0 + 1319, None),  # between cam-a and cam-b: nobody anywhere
    ],
)
def test_a_case_sees_only_its_scope(
    store: Store,
    index: FlatFaceIndex,
    t_from_s: float,
    t_to_s: float,
    cameras: tuple[str, ...] | None,
) -> None:
    q = dataclasses.replace(case_p(), t_from_s=t_from_s, t_to_s=t_to_s, camera_ids=cameras)
    (result,) = trace_cases(store, index, [q], get_policy("cdc-2020"))
    assert result.route == () and result.contacts == ()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # C1: 1200 s beside P in cam-a (the 1 s gaps between track pieces interpolated)
        # plus 300 s in cam-b, one person (face, then looks); each span counts both ends.
        # C3: both masked, 1.5 m, 16 min. C2 (3 m) never.
        ("kdca-2022", {"C1": ("high", 1500.5), "C3": ("low", 0.0)}),
        ("cdc-2020", {"C1": ("high", 1500.5), "C3": ("high", 960.25)}),
        ("who-2020", {"C1": ("high", 1500.5)}),
    ],
)
def test_contacts_under_each_policy(
    store: Store, index: FlatFaceIndex, policy: str, expected: dict[str, tuple[str, float]]
) -> None:
    (result,) = trace_cases(store, index, [case_p()], get_policy(policy))
    names = {("c1-a1", "c1-a2", "c1-b"): "C1", ("c3-b",): "C3"}
    got = {names[c.sighting_ids]: (c.risk, c.exposure_s) for c in result.contacts}
    assert got == expected
    c1 = result.contacts[0]
    assert [e.camera_id for e in c1.encounters] == ["cam-a", "cam-b"]
    assert sum(e.exposure_s for e in c1.encounters) == pytest.approx(c1.exposure_s)
    assert c1.min_distance_m == pytest.approx(0.9, abs=1e-5)
    assert c1.patient_masked is False and c1.contact_masked is False
    assert not c1.distance_approximate
    assert c1.contact_id.startswith("c-") and "c1" not in c1.contact_id
    if "C3" in got:
        c3 = result.contacts[1]
        assert c3.patient_masked is True and c3.contact_masked is True


def test_contact_ids_are_stable(store: Store, index: FlatFaceIndex) -> None:
    policy = get_policy("kdca-2022")
    first = trace_cases(store, index, [case_p()], policy)[0].contacts
    again = trace_cases(store, index, [case_p()], policy)[0].contacts
    assert [c.contact_id for c in first] == [c.contact_id for c in again]


def _without_time(results: list[TraceResult]) -> list[str]:
    # repr, not ==: an unknown masked_ratio is NaN, and NaN != NaN.
    return [repr(dataclasses.replace(r, elapsed_s=0.0)) for r in results]


def test_a_batch_equals_each_case_alone_and_reads_each_day_once(
    store: Store, index: FlatFaceIndex
) -> None:
    cases: list[CaseQuery] = [case_p(), case_q(), case_r()]
    policy = get_policy("kdca-2022")
    counting = CountingIndex(index)
    batch = trace_cases(store, counting, cases, policy)
    alone = [trace_cases(store, index, [c], policy)[0] for c in cases]
    assert _without_time(batch) == _without_time(alone)
    assert [r.case_id for r in batch] == ["case-p", "case-q", "case-r"]
    # One pass: each UTC day of any window read by one call, for all cases at once.
    assert sorted(counting.days_searched) == ["2024-03-04", "2024-03-05"]
    assert counting.calls == 2
    q_result, r_result = batch[1], batch[2]
    assert [s.sighting_ids for s in q_result.route] == [("q-b",)]
    assert [(c.sighting_ids, c.risk) for c in q_result.contacts] == [(("d1-b",), "low")]
    assert [s.sighting_ids for s in r_result.route] == [("r-a",)]


def test_a_batch_shares_store_reads(store: Store, index: FlatFaceIndex) -> None:
    cases = [case_p(), case_q(), case_r()]
    shared = SightingPool(store)
    together = find_patient_sightings(store, index, cases, pool=shared)
    separate = 0
    for c in cases:
        pool = SightingPool(store)
        alone = find_patient_sightings(store, index, [c], pool=pool)
        assert repr(alone[c.case_id]) == repr(together[c.case_id])
        separate += pool.queries
    assert shared.queries < separate  # measured: 6 against 3 + 2 + 2


def test_stricter_face_threshold_is_a_setting(store: Store, index: FlatFaceIndex) -> None:
    strict = TraceSettings(face_threshold=0.99)
    (result,) = trace_cases(store, index, [case_p()], get_policy("kdca-2022"), strict)
    assert result.route == () and result.contacts == ()
