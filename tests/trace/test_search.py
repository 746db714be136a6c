"""Patient search pieces: reference fusion, scope, appearance and track extension."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cctrace.core.errors import InputError
from cctrace.sim.site import pinhole_calibration
from cctrace.store.camera_import import camera_record
from cctrace.store.records import CameraRecord
from cctrace.trace.face_step import fused_similarity, margin_confidence, reference_queries
from cctrace.trace.links import continue_tracks, extend_by_appearance
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.scope import CaseScope, merge_intervals, window_days
from cctrace.trace.search import appearance_windows
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import CaseQuery, Evidence, ScoredSighting
from cctrace.vision.faces import SFACE_COSINE_THRESHOLD
from tests.trace.helpers import at, identity, look, seen_look, sighting, unit

T = 1_709_629_200.0  # 2024-03-05 09:00 UTC


def _rates(fusion: str, sigma: float, n_refs: int, seed: int) -> tuple[float, float]:
    """True and false match rates at the SFace threshold, synthetic noisy embeddings."""
    rng = np.random.default_rng(seed)
    hits, false_hits = [], []
    for _ in range(200):
        person = unit(rng.standard_normal(128))
        refs = unit(person + sigma * rng.standard_normal((n_refs, 128)))
        queries = reference_queries(refs, fusion)  # type: ignore[arg-type]
        same = unit(person + sigma * rng.standard_normal((10, 128)))
        others = unit(unit(rng.standard_normal((10, 128))) + sigma * rng.standard_normal((10, 128)))
        hits.append(fused_similarity(queries, same) >= SFACE_COSINE_THRESHOLD)
        false_hits.append(fused_similarity(queries, others) >= SFACE_COSINE_THRESHOLD)
    return float(np.mean(hits)), float(np.mean(false_hits))


@pytest.mark.parametrize("n_refs", [2, 3, 5])
def test_mean_fusion_finds_more_than_max_at_the_same_threshold(n_refs: int) -> None:
    # sigma 0.13: one CCTV face against one reference scores a cosine of about 0.32 on
    # average, under the threshold; averaging the references cancels their noise.
    mean_hit, mean_false = _rates("mean", 0.13, n_refs, seed=n_refs)
    max_hit, max_false = _rates("max", 0.13, n_refs, seed=n_refs)
    # Measured (these seeds): 2 refs 0.64 vs 0.44, 3 refs 0.84 vs 0.57, 5 refs 0.95 vs 0.73;
    # false matches 0 for both.
    assert mean_hit > max_hit + 0.15
    assert mean_false <= max_false + 0.001


@pytest.mark.parametrize(
    ("fusion", "rows"),
    [("mean", 1), ("max", 3)],
)
def test_reference_queries_are_unit_rows(fusion: str, rows: int) -> None:
    refs = np.stack([identity(s) * 3 for s in range(3)])
    q = reference_queries(refs, fusion)  # type: ignore[arg-type]
    assert q.shape == (rows, 128)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0)


@pytest.mark.parametrize(
    "refs", [np.zeros((0, 128)), np.full((1, 128), np.nan), np.zeros((2, 3, 128))]
)
def test_bad_references_are_refused(refs: np.ndarray) -> None:  # type: ignore[type-arg]
    with pytest.raises(InputError):
        reference_queries(refs, "mean")


@pytest.mark.parametrize(
    ("similarity", "expected"),
    [(0.363, 0.5), (0.463, 0.75), (0.563, 1.0), (0.9, 1.0), (0.2, 0.5)],
)
def test_margin_confidence(similarity: float, expected: float) -> None:
    assert float(margin_confidence(similarity, 0.363, 0.2)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("t_from", "t_to", "days"),
    [
        (T, T + 3600, ["2024-03-05"]),
        (T - 9 * 3600 - 1, T, ["2024-03-04", "2024-03-05"]),  # 23:59:59 the day before
        (T, T + 3 * 86400, ["2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"]),
    ],
)
def test_window_days(t_from: float, t_to: float, days: list[str]) -> None:
    assert window_days(t_from, t_to) == days


def test_merge_intervals() -> None:
    assert merge_intervals([(5, 6), (0, 2), (1, 3), (3, 4)]) == [(0, 4), (5, 6)]


def _scope(cameras: tuple[str, ...] | None = ("cam-a",)) -> CaseScope:
    return CaseScope.of(CaseQuery("c", identity(0)[None], T, T + 100, cameras))


@pytest.mark.parametrize(
    ("camera", "t0", "t1", "expected"),
    [
        ("cam-a", 10, 20, (T + 10, T + 20, 11)),
        ("cam-a", -50, 30, (T, T + 30, 31)),  # straddles the start: clipped
        ("cam-a", 90, 150, (T + 90, T + 100, 11)),  # straddles the end: clipped
        ("cam-a", -50, -1, None),  # before
        ("cam-a", 101, 150, None),  # after
        ("cam-b", 10, 20, None),  # outside the region
    ],
)
def test_scope_clips_time_and_region(
    camera: str, t0: float, t1: float, expected: tuple[float, float, int] | None
) -> None:
    s = sighting("s", camera, T + t0, T + t1, at(0, 0))
    clipped = _scope().clip(s)
    if expected is None:
        assert clipped is None
        return
    assert clipped is not None
    assert (clipped.t_start_s, clipped.t_end_s, len(clipped.path_t_s)) == expected
    assert len(clipped.path_floor_xy_m) == expected[2]
    assert clipped.path_t_s.min() >= T and clipped.path_t_s.max() <= T + 100


def test_scope_without_region_admits_every_camera() -> None:
    assert _scope(None).clip(sighting("s", "cam-z", T, T + 5, at(0, 0))) is not None


def test_reversed_window_is_refused() -> None:
    with pytest.raises(InputError, match="ends before it starts"):
        CaseScope.of(CaseQuery("c", identity(0)[None], T + 10, T, None))


# -- appearance across cameras ----------------------------------------------------------------

CAMERAS = CameraMap(
    [
        CameraRecord("a", "A", site="S", x_m=0.0, y_m=0.0),
        CameraRecord("b", "B", site="S", x_m=100.0, y_m=0.0),
        CameraRecord("far", "F", site="S", x_m=2000.0, y_m=0.0),
        CameraRecord("nowhere", "N"),  # no position
    ]
)
LOOK = look(1)


def _seed(camera: str = "a", t0: float = 0, t1: float = 60, conf: float = 0.9) -> ScoredSighting:
    s = sighting(
        f"seed-{camera}-{t0}", camera, T + t0, T + t1, at(0, 0), appearance=seen_look(LOOK, 1)
    )
    return ScoredSighting(s, "face", conf, 0.6)


@pytest.mark.parametrize(
    ("camera", "t0", "alike", "joins"),
    [
        ("b", 130, True, True),  # 100 m in 70 s: reachable (1.4 m/s x 70 s + 15 m slack)
        ("b", 120, True, False),  # 100 m in 60 s: just too fast (99 m reachable)
        ("far", 200, True, False),  # 2 km in 140 s
        ("far", 1600, True, False),  # reachable, but beyond appearance_max_gap_s
        ("nowhere", 130, True, False),  # unknown position: no extension
        ("a", 130, True, False),  # same camera: the track's business, not appearance's
        ("b", 130, False, False),  # other clothes
    ],
)
def test_appearance_extension_needs_looks_and_walking_time(
    camera: str, t0: float, alike: bool, joins: bool
) -> None:
    clothes = seen_look(LOOK, 2) if alike else look(2)
    cand = sighting("cand", camera, T + t0, T + t0 + 30, at(0, 0), appearance=clothes)
    found = extend_by_appearance([_seed()], [cand], CAMERAS, TraceSettings())
    assert [s.sighting.sighting_id for s in found] == (["cand"] if joins else [])
    if joins:
        (s,) = found
        assert s.evidence == "appearance" and s.parent_id == "seed-a-0"
        assert 0 < s.confidence < 0.9 * TraceSettings().appearance_confidence_factor + 1e-9


def test_appearance_match_contradicted_by_another_face_seed_is_rejected() -> None:
    # Reachable from the seed in a, but another face match puts the patient in "far"
    # (2 km from b) at the same time.
    cand = sighting("cand", "b", T + 130, T + 160, at(0, 0), appearance=seen_look(LOOK, 2))
    seeds = [_seed(), _seed("far", 100, 170)]
    assert extend_by_appearance(seeds, [cand], CAMERAS, TraceSettings()) == []
    assert len(extend_by_appearance(seeds[:1], [cand], CAMERAS, TraceSettings())) == 1


def test_look_alikes_joined_by_appearance_must_make_one_possible_route() -> None:
    # After the seed in a: two look-alikes at once in b and d (120 m apart: one person
    # cannot be both), and a later one in b that the patient could walk to from either.
    cams = CameraMap(
        [
            CameraRecord("a", "a", site="S", x_m=0.0, y_m=0.0),
            CameraRecord("b", "b", site="S", x_m=60.0, y_m=0.0),
            CameraRecord("d", "d", site="S", x_m=-60.0, y_m=0.0),
        ]
    )
    cands = [
        sighting("b-close", "b", T + 130, T + 160, at(0, 0), appearance=seen_look(LOOK, 1, 0.05)),
        sighting("d-less", "d", T + 130, T + 160, at(0, 0), appearance=seen_look(LOOK, 2, 0.3)),
        sighting("b-later", "b", T + 250, T + 280, at(0, 0), appearance=seen_look(LOOK, 3, 0.3)),
    ]
    settings = TraceSettings()

    def found(s: TraceSettings) -> set[str]:
        return {x.sighting.sighting_id for x in extend_by_appearance([_seed()], cands, cams, s)}

    assert found(settings) == {"b-close", "b-later"}
    every = dataclasses.replace(settings, appearance_consistent_only=False)
    assert found(every) == {"b-close", "d-less", "b-later"}


def test_look_alike_less_alike_than_the_patient_to_themselves_is_not_joined() -> None:
    # The patient's face shows in a and b six times; those sightings look alike to each
    # other at 0.999 across the cameras. A look-alike in b scores about 0.97 (over the
    # fixed 0.87): in a crowd someone is always dressed like that, and the patient's own
    # consistency says it is not them. The patient's own sighting in b still joins.
    seeds = [_seed()]
    for i in range(6):
        cam, t0 = ("a" if i % 2 else "b"), T - 2000 + 300 * i
        s = sighting(f"p{i}", cam, t0, t0 + 50, at(0, 0), appearance=seen_look(LOOK, 10 + i))
        seeds.append(ScoredSighting(s, "face", 0.9, 0.6))
    cands = [
        sighting("patient", "b", T + 130, T + 160, at(0, 0), appearance=seen_look(LOOK, 7)),
        sighting("alike", "b", T + 250, T + 280, at(0, 0), appearance=seen_look(LOOK, 8, 0.5)),
    ]

    def found(s: TraceSettings) -> set[str]:
        return {x.sighting.sighting_id for x in extend_by_appearance(seeds, cands, CAMERAS, s)}

    assert found(TraceSettings()) == {"patient"}
    assert found(TraceSettings(appearance_self_spread=None)) == {"patient", "alike"}
    # Too few cross-camera pairs to say how alike the patient looks: the fixed threshold.
    assert found(TraceSettings(appearance_self_min_pairs=100)) == {"patient", "alike"}


def test_only_face_evidence_seeds_appearance() -> None:
    seed = dataclasses.replace(_seed(), evidence="track")
    cand = sighting("cand", "b", T + 130, T + 160, at(0, 0), appearance=seen_look(LOOK, 2))
    assert extend_by_appearance([seed], [cand], CAMERAS, TraceSettings()) == []


# -- along a track ------------------------------------------------------------------------------


def _found(evidence: Evidence = "face") -> ScoredSighting:
    s = sighting("f", "a", T, T + 300, at(0, 0, 0.01, T), appearance=seen_look(LOOK, 1))
    return ScoredSighting(s, evidence, 0.8, 0.5)


@pytest.mark.parametrize(
    ("t0", "x", "alike", "joins"),
    [
        (301, 3.0, True, True),  # the next checkpoint piece, where the last one ended
        (-60, 0.0, True, True),  # ends 1 s before the found one starts (t0 + 59 = -1)
        (308, 3.0, True, True),  # 8 s gap: hidden behind a passer-by for a while
        (311, 3.0, True, False),  # 11 s gap: too long
        (301, 8.0, True, False),  # 5 m jump in 1 s
        (301, 3.0, False, False),  # someone else
    ],
)
def test_track_continuation(t0: float, x: float, alike: bool, joins: bool) -> None:
    clothes = seen_look(LOOK, 3) if alike else look(3)
    cand = sighting("c", "a", T + t0, T + t0 + 59, at(x, 0), appearance=clothes)
    found = continue_tracks([_found()], [cand], TraceSettings())
    assert [s.sighting.sighting_id for s in found] == (["c"] if joins else [])
    if joins:
        assert found[0].evidence == "track"
        assert found[0].confidence == pytest.approx(0.8 * 0.95)


def test_someone_beside_the_patient_is_no_continuation() -> None:
    # Starts right where the found piece ends, but overlaps another found piece.
    nxt = sighting("next", "a", T + 301, T + 600, at(3, 0), appearance=seen_look(LOOK, 4))
    beside = sighting("beside", "a", T + 301, T + 600, at(3, 0.5), appearance=seen_look(LOOK, 5))
    found = [_found(), ScoredSighting(nxt, "face", 0.9, 0.6)]
    assert continue_tracks(found, [beside], TraceSettings()) == []


def test_continuation_contradicting_a_face_elsewhere_is_rejected() -> None:
    # A look-alike piece continuing an appearance match, while the patient's face is in
    # "far" (2 km away) at that very time: never the patient.
    cand = sighting("c", "a", T + 301, T + 360, at(3, 0), appearance=seen_look(LOOK, 3))
    elsewhere = ScoredSighting(
        sighting("far-face", "far", T + 320, T + 340, at(0, 0)), "face", 0.9, 0.6
    )
    found = [_found("appearance"), elsewhere]
    assert continue_tracks(found, [cand], TraceSettings(), CAMERAS) == []
    assert len(continue_tracks(found, [cand], TraceSettings())) == 1  # no map: no check


def _hall(frame_2: str | None) -> CameraMap:
    """Two views splitting one 20 x 8 m hall at x = 10 m; ``frame_2``: view-2's plan."""
    records = []
    for cid, view, frame in (
        ("view-1", (0.0, 0.0, 10.0, 8.0), "hall"),
        ("view-2", (10.0, 0.0, 20.0, 8.0), frame_2),
    ):
        (x, y), calibration = pinhole_calibration(view, floor_frame=frame)
        records.append(camera_record(cid, cid, site="S", x_m=x, y_m=y, calibration=calibration))
    return CameraMap(records)


@pytest.mark.parametrize(
    ("frame_2", "cand_xy", "joins"),
    [
        ("hall", (15.5, 7.0), False),  # 6 m from the patient's face at the same instants
        ("hall", (10.4, 1.0), True),  # 0.9 m from the patient: one body, two views
        (None, (15.5, 7.0), True),  # positions of two plans: only the cameras' 10 m known
    ],
)
def test_a_look_alike_in_the_next_view_of_one_plan_is_not_the_patient(
    frame_2: str | None, cand_xy: tuple[float, float], joins: bool
) -> None:
    # The patient's face is seen in view-2 until T + 300, then in view-1 at (9.5, 1); 7 s
    # later a look-alike starts in view-2, within a track's jump of where the patient
    # was. Camera distances (10 m, within any walking slack) cannot refute it as the
    # patient; the floor positions at the same instants can, where both views share a
    # plan.
    cams = _hall(frame_2)
    left = sighting("left", "view-2", T, T + 300, at(14.0, 1.0), appearance=seen_look(LOOK, 1))
    face = sighting("face", "view-1", T + 300, T + 900, at(9.5, 1.0), appearance=seen_look(LOOK, 2))
    found = [ScoredSighting(left, "face", 0.9, 0.6), ScoredSighting(face, "face", 0.9, 0.6)]
    cand = sighting("c", "view-2", T + 307, T + 600, at(*cand_xy), appearance=seen_look(LOOK, 3))
    joined = continue_tracks(found, [cand], TraceSettings(), cams)
    assert [s.sighting.sighting_id for s in joined] == (["c"] if joins else [])
    by_looks = extend_by_appearance([found[1]], [cand], cams, TraceSettings())
    assert [s.sighting.sighting_id for s in by_looks] == (["c"] if joins else [])
    off = TraceSettings(same_instant_max_m=None)
    assert [s.sighting.sighting_id for s in continue_tracks(found, [cand], off, cams)] == ["c"]


def test_continuation_of_an_appearance_match_stays_appearance() -> None:
    cand = sighting("c", "a", T + 301, T + 360, at(3, 0), appearance=seen_look(LOOK, 3))
    (s,) = continue_tracks([_found("appearance")], [cand], TraceSettings())
    assert s.evidence == "appearance"


def test_one_continuation_per_direction() -> None:
    a = sighting("c1", "a", T + 301, T + 360, at(3, 0), appearance=seen_look(LOOK, 3, 0.01))
    b = sighting("c2", "a", T + 301, T + 360, at(3.5, 0), appearance=seen_look(LOOK, 4, 0.5))
    found = continue_tracks([_found()], [a, b], TraceSettings())
    assert [s.sighting.sighting_id for s in found] == ["c1"]


def test_appearance_windows_read_only_the_edges_of_a_presence() -> None:
    cameras = CameraMap(
        [
            CameraRecord("a", "A", site="S", x_m=0.0, y_m=0.0),
            CameraRecord("b", "B", site="S", x_m=100.0, y_m=0.0),
            CameraRecord("v", "V", site="S", x_m=10.0, y_m=0.0),  # overlapping view
            CameraRecord("x", "X", site="S", x_m=60.0, y_m=0.0),  # outside the region
        ]
    )
    scope = CaseScope.of(CaseQuery("c", identity(0)[None], T - 1000, T + 5000, ("a", "b", "v")))
    seeds = [sighting(f"s{i}", "a", T + 300 * i, T + 300 * i + 299, at(0, 0)) for i in range(4)]
    windows = {
        (w.camera_id, w.t_from_s - T, w.t_to_s - T)
        for w in appearance_windows(scope, seeds, cameras, TraceSettings())
    }
    b = {(lo, hi) for cam, lo, hi in windows if cam == "b"}
    v = {(lo, hi) for cam, lo, hi in windows if cam == "v"}
    walk = (100 - 15) / 1.4  # b is 100 m away, less the 15 m slack, at 1.4 m/s
    # Before and after the patient's 20 minutes in a, no nearer in time than the walk.
    got = [x for pair in sorted(b) for x in pair]
    assert got == pytest.approx([-300, -walk, 1199 + walk, 1499])
    assert v == {(300 * i - 300, 300 * i + 599) for i in range(4)}
    assert not any(cam == "x" for cam, _, _ in windows)


@pytest.mark.parametrize(
    ("who", "mask_ratio", "kept"),
    [
        ("patient", None, True),  # their own face: kept
        ("stranger", None, False),  # a clearly different unmasked face: vetoed
        ("stranger", 0.9, True),  # masked: the face cannot veto
        ("nobody", None, True),  # no face seen: appearance decides
    ],
)
def test_a_clearly_different_face_vetoes_appearance_and_track_evidence(
    who: str, mask_ratio: float | None, kept: bool
) -> None:
    from cctrace.trace.face_step import not_vetoed, reference_queries
    from cctrace.trace.settings import TraceSettings
    from tests.trace.helpers import at, face_photo, identity, sighting

    patient, stranger = identity(1), identity(2)
    face = {"patient": face_photo(patient, 5), "stranger": face_photo(stranger, 6)}.get(who)
    cand = sighting("c", "cam-a", 0.0, 10.0, at(0, 0), face=face, mask_ratio=mask_ratio)
    refs = reference_queries(face_photo(patient, 7)[None], "mean")
    assert (not_vetoed([cand], refs, TraceSettings()) == [cand]) is kept


def _appearances(rng: np.random.Generator, n: int) -> np.ndarray:  # type: ignore[type-arg]
    """``n`` appearance vectors laid out as stored: a unit non-negative CNN part, then a
    unit colour part of square-rooted histograms."""
    from cctrace.vision.appearance import CNN_DIM

    cnn = np.abs(rng.gamma(0.5, 1.0, (n, CNN_DIM)) + 1.0)
    colour = rng.dirichlet(np.full(40, 0.3), n) ** 0.5
    cnn /= np.linalg.norm(cnn, axis=1, keepdims=True)
    colour /= np.linalg.norm(colour, axis=1, keepdims=True)
    return np.concatenate([cnn, colour], axis=1)


def test_screening_by_colour_bound_keeps_exactly_the_alike_rows() -> None:
    """`_alike` skips the CNN part where colour alone cannot reach the threshold: the
    rows it keeps are exactly those the full similarity keeps (float16 storage)."""
    from cctrace.trace.pool import _alike
    from cctrace.vision.appearance import CNN_DIM, appearance_vector_similarity

    rng = np.random.default_rng(4)

    def people(n: int) -> np.ndarray:  # type: ignore[type-arg]
        return _appearances(rng, n)

    ref = people(3).astype(np.float32)
    stored = people(9000)
    stored[::7, CNN_DIM:] = ref[0, CNN_DIM:]  # same colours: only the CNN decides these
    stored[5] = ref[1]  # the patient again
    stored[11] = np.nan  # no appearance
    vectors = stored.astype(np.float16)
    rows = np.array([*range(0, 9000, 2), 5, 11], dtype=np.intp)
    for threshold in (0.75, 0.8, 0.87, 0.95):
        got = _alike(ref, vectors, rows, threshold)
        full = appearance_vector_similarity(ref, vectors[rows].astype(np.float32))
        with np.errstate(invalid="ignore"):
            expected = np.nanmax(full, axis=0, initial=-1.0) >= threshold
        assert np.array_equal(got, expected), threshold
        assert got[-2] and not got[-1]
    assert 0 < _alike(ref, vectors, rows, 0.8).sum() < len(rows)  # it decides something


def test_colour_screen_drops_only_rows_the_full_similarity_would_drop() -> None:
    """The index-only screen (`colour_screen`, on the stored colour sketch) keeps every
    row `_alike` keeps, for each case's own windows, and every row without a sketch in
    a window; rows outside all windows go."""
    from cctrace.store.records import SketchRows
    from cctrace.trace.pool import _alike, colour_screen
    from cctrace.vision.appearance import CNN_DIM

    rng = np.random.default_rng(5)

    def people(n: int) -> np.ndarray:  # type: ignore[type-arg]
        return _appearances(rng, n)

    n = 6000
    stored = people(n).astype(np.float16)
    refs = [people(2).astype(np.float32), people(3).astype(np.float32)]
    stored[7] = refs[0][1]  # case 0's patient, in case 0's window
    stored[5000] = refs[1][0]  # case 1's patient, only in case 1's window
    cams = [f"cam-{i % 3}" for i in range(n)]
    t0 = np.arange(n, dtype=np.float64)
    t1 = t0 + 5.0
    colour = stored[:, CNN_DIM:].copy()
    colour[12] = np.nan  # written before schema 0008: no sketch (cam-0, in case 0's window)
    colour[14] = np.nan  # no sketch, but outside every window (cam-2 at 14 s)
    rows = SketchRows([f"s{i}" for i in range(n)], cams, t0, t1, colour)
    windows = [
        {"cam-0": [(0.0, 3000.0)], "cam-1": [(0.0, 3000.0)]},
        {"cam-1": [(2000.0, 5500.0)], "cam-2": [(4000.0, 5500.0)]},
    ]
    for threshold in (0.75, 0.8, 0.87):
        cases = [(w, r[:, CNN_DIM:]) for w, r in zip(windows, refs, strict=True)]
        keep = colour_screen(cases, threshold)(rows)
        assert keep[12] and keep[7] and keep[5000] and not keep[14]
        for w, ref in zip(windows, refs, strict=True):
            inside = np.array(
                [
                    any(lo <= t1[i] and t0[i] <= hi for lo, hi in w.get(cams[i], []))
                    for i in range(n)
                ]
            )
            idx = np.flatnonzero(inside)
            alike = idx[_alike(ref, stored, idx, threshold)]
            assert keep[alike].all(), threshold
        outside = ~np.array(
            [
                any(lo <= t1[i] and t0[i] <= hi for w in windows for lo, hi in w.get(cams[i], []))
                for i in range(n)
            ]
        )
        assert not keep[outside].any()
        assert 0 < keep.sum() < n - outside.sum()  # it rules rows out


def test_overlaps_union_matches_testing_every_span() -> None:
    from cctrace.trace.scope import overlaps_union

    rng = np.random.default_rng(9)
    for _ in range(50):
        lows, lengths = rng.uniform(0, 1000, 8), rng.uniform(0, 80, 8)
        raw = [(a, a + b) for a, b in zip(lows, lengths, strict=True)]
        union = merge_intervals(raw)
        starts = rng.uniform(-50, 1100, 300)
        ends = starts + rng.uniform(0, 60, 300)
        expected = np.array(
            [any(s <= hi and e >= lo for lo, hi in raw) for s, e in zip(starts, ends, strict=True)]
        )
        assert np.array_equal(overlaps_union(union, starts, ends), expected)
    assert not overlaps_union([], np.zeros(3), np.ones(3)).any()
