"""The face threshold rises with the number of faces searched (chance matches bounded)."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
import pytest

from cctrace.sim.observation import face_photos
from cctrace.sim.world import FACE_COMMON, FACE_DIM
from cctrace.store.crypto import Cipher
from cctrace.store.vector_index import FlatFaceIndex, ScoreStats
from cctrace.trace.face_step import gallery_threshold
from cctrace.trace.settings import TraceSettings

BASE = TraceSettings().face_threshold


def _centres(rng: np.random.Generator, n: int) -> np.ndarray:  # type: ignore[type-arg]
    """Identity centres as the simulator draws them (strangers' photos score about 0.12)."""
    common = rng.normal(size=FACE_DIM)
    common /= np.linalg.norm(common)
    own = rng.normal(size=(n, FACE_DIM))
    own /= np.linalg.norm(own, axis=1, keepdims=True)
    c = FACE_COMMON * common + own
    return np.asarray(c / np.linalg.norm(c, axis=1, keepdims=True))


def test_search_statistics_are_those_of_every_score(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    index = FlatFaceIndex(tmp_path / "faces", Cipher([secrets.token_bytes(32)]))
    day1 = face_photos(rng, _centres(rng, 700), 1.0, False)
    day2 = face_photos(rng, _centres(rng, 400), 1.0, False)
    index.add("2024-03-05", [f"a{i}" for i in range(700)], day1)
    index.add("2024-03-06", [f"b{i}" for i in range(400)], day2)
    queries = face_photos(rng, _centres(rng, 3), 1.0, False)
    matches, stats = index.search_with_stats(queries, ["2024-03-05", "2024-03-06"], 5)
    assert matches == index.search(queries, ["2024-03-05", "2024-03-06"], 5)
    scores = queries @ np.concatenate([day1, day2]).T
    for st, row in zip(stats, scores, strict=True):
        assert st.count == 1100
        assert st.mean == pytest.approx(float(row.mean()), abs=1e-6)
        assert st.std == pytest.approx(float(row.std(ddof=1)), abs=1e-6)
    # Summaries of two searches add up to the summary of one over both.
    one = index.search_with_stats(queries, ["2024-03-05"], 5)[1][0]
    two = index.search_with_stats(queries, ["2024-03-06"], 5)[1][0]
    both = one.plus(two)
    assert both.count == stats[0].count
    assert both.mean == pytest.approx(stats[0].mean, abs=1e-9)
    assert both.std == pytest.approx(stats[0].std, abs=1e-9)


def test_chance_matches_stay_bounded_as_the_gallery_grows() -> None:
    """Strangers above the threshold, per query, at three gallery sizes: bounded with the
    gallery-size threshold, growing with the fixed one. The patient's own photos (the
    simulator's spread, unmasked) still pass."""
    rng = np.random.default_rng(11)
    queries = 40
    centres = _centres(rng, 300_000 + queries)  # one population: one shared direction
    gallery = face_photos(rng, centres[:300_000], 1.0, False)
    patients = centres[300_000:]
    refs = face_photos(rng, patients, 1.0, False)
    own = np.stack([face_photos(rng, patients, 1.0, False) for _ in range(10)], axis=1)
    chance_fixed, chance_raised, recall = [], [], []
    for n in (3_000, 30_000, 300_000):
        scores = refs @ gallery[:n].T  # (Q, n): all strangers
        fixed = raised = passed = 0
        for q in range(queries):
            row = scores[q].astype(np.float64)
            stats = ScoreStats(n, float(row.sum()), float((row * row).sum()))
            th = gallery_threshold([stats], BASE, 1.0)
            assert th >= BASE
            fixed += int((row >= BASE).sum())
            raised += int((row >= th).sum())
            passed += int((own[q] @ refs[q] >= th).sum())
        chance_fixed.append(fixed / queries)
        chance_raised.append(raised / queries)
        recall.append(passed / (queries * own.shape[1]))
    # Measured (this seed): fixed 0.125 / 0.75 / 7.65 per query, raised 0.125 / 0.25 /
    # 0.15 (the normal tail errs strict), own photos passing 1.0 at every size.
    assert chance_fixed[-1] > 10 * max(chance_fixed[0], 0.1)
    assert max(chance_raised) <= 1.0
    assert min(recall) >= 0.97


def test_a_small_gallery_keeps_the_fixed_threshold() -> None:
    rng = np.random.default_rng(5)
    row = rng.normal(0.12, 0.085, 2_000)
    stats = ScoreStats(len(row), float(row.sum()), float((row * row).sum()))
    assert gallery_threshold([stats], BASE, 1.0) == BASE
    # Off, or nothing searched: the fixed threshold.
    big = ScoreStats(3_000_000, 0.12 * 3e6, (0.12**2 + 0.085**2) * 3e6)
    assert gallery_threshold([big], BASE, None) == BASE
    assert gallery_threshold([], BASE, 1.0) == BASE
    # 3 M strangers at mean 0.12, sd 0.085: z for 1 in 3 M is 4.97.
    assert gallery_threshold([big], BASE, 1.0) == pytest.approx(0.12 + 4.97 * 0.085, abs=2e-3)


def test_max_fusion_counts_every_reference_query() -> None:
    st = ScoreStats(1_000_000, 0.12e6, (0.12**2 + 0.085**2) * 1e6)
    one = gallery_threshold([st], BASE, 1.0)
    three = gallery_threshold([st, st, st], BASE, 1.0)
    assert three > one  # three tries per face: three times the chances


def test_setting_must_be_positive() -> None:
    with pytest.raises(ValueError, match="face_chance_matches"):
        TraceSettings(face_chance_matches=0.0)


def test_a_trace_reports_the_threshold_it_used(tmp_path: Path) -> None:
    """The engine passes each case's threshold and gallery size on to its result."""
    from cctrace.config import get_policy
    from cctrace.store.home import Home, init_home
    from cctrace.store.repository import Store
    from cctrace.trace.engine import trace_cases
    from cctrace.trace.types import CaseQuery

    init_home(tmp_path / "home", env={})
    home = Home.at(tmp_path / "home", env={})
    rng = np.random.default_rng(2)
    with Store.open(home) as store:
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        # 20,000 strangers in the index (none needs a stored sighting: none matches).
        index.add(
            "2024-03-05",
            [f"s{i}" for i in range(20_000)],
            face_photos(rng, _centres(rng, 20_000), 1.0, False),
        )
        refs = face_photos(rng, _centres(rng, 1), 1.0, False)
        t0 = 1_709_629_200.0  # 2024-03-05 09:00 UTC
        (result,) = trace_cases(
            store, index, [CaseQuery("c", refs, t0, t0 + 3600)], get_policy("kdca-2022")
        )
    assert result.faces_searched == 20_000
    assert result.face_threshold >= BASE
    assert result.route == ()
