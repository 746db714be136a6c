"""Exposure, masks, risk and merging of contacts (no store: sightings built in memory)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from cctrace.config import POLICIES, Policy, get_policy
from cctrace.store.records import CameraRecord
from cctrace.trace.contacts import (
    StayPresence,
    aligned_distance_series,
    aligned_positions,
    contact_id_of,
    counted_exposure,
    exposure_s,
    find_contacts,
    group_same_people,
    is_masked,
    mask_status,
    piece_labels,
    piece_mean,
    risk_of,
    smooth_path,
    steady_distance,
    still_mask,
)
from cctrace.trace.plausibility import CameraMap
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import Stay
from cctrace.vision.appearance import CNN_DIM
from tests.trace.helpers import at, face_photo, identity, look, seen_look, sighting

T = 1_709_629_200.0
CAMERAS = CameraMap(
    [
        CameraRecord("a", "A", site="S", x_m=0.0, y_m=0.0),
        CameraRecord("b", "B", site="S", x_m=100.0, y_m=0.0),
        CameraRecord("far", "F", site="S", x_m=5000.0, y_m=0.0),
    ]
)


def _presence(
    minutes: float,
    distance_m: float,
    patient_mask: float | None,
    contact_mask: float | None,
    approximate: bool = False,
) -> StayPresence:
    t1 = T + minutes * 60
    patient = sighting("p", "a", T, t1, at(0, 0, 0.1, T), mask_ratio=patient_mask)
    other = sighting(
        "o", "a", T, t1, at(0, distance_m, 0.1, T), mask_ratio=contact_mask, approximate=approximate
    )
    stay = Stay("a", "S", T, t1, 1.0, 0.0, "face", ("p",))
    return StayPresence(stay, (patient,), (other,))


@pytest.mark.parametrize(
    ("policy", "minutes", "distance_m", "patient_mask", "contact_mask", "risk", "exposed"),
    [
        # 16 minutes at 1.5 m
        ("kdca-2022", 16, 1.5, 0.0, 0.0, "high", True),
        ("kdca-2022", 16, 1.5, 1.0, 1.0, "low", False),  # both masked: exempt, still listed
        ("kdca-2022", 16, 1.5, 1.0, 0.0, "high", True),  # one masked is not enough
        ("kdca-2022", 16, 1.5, 1.0, None, "high", True),  # unknown mask counts as unmasked
        ("cdc-2020", 16, 1.5, 1.0, 1.0, "high", True),  # masks do not matter
        ("who-2020", 16, 1.5, 0.0, 0.0, None, False),  # 1.5 m is not within 1 m
        # shorter or farther
        ("kdca-2022", 10, 1.5, 0.0, 0.0, "medium", True),  # 600 s >= 900 s / 3
        ("kdca-2022", 4, 1.5, 0.0, 0.0, "low", True),
        ("kdca-2022", 16, 2.5, 0.0, 0.0, None, False),
        ("cdc-2020", 16, 1.9, 0.0, 0.0, None, False),  # just over 6 ft
        ("who-2020", 16, 0.9, 0.0, 0.0, "high", True),
    ],
)
def test_exposure_and_risk_per_policy(
    policy: str,
    minutes: float,
    distance_m: float,
    patient_mask: float | None,
    contact_mask: float | None,
    risk: str | None,
    exposed: bool,
) -> None:
    contacts = find_contacts(
        [_presence(minutes, distance_m, patient_mask, contact_mask)],
        get_policy(policy),
        TraceSettings(),
        CAMERAS,
    )
    if risk is None:
        assert contacts == ()
        return
    (c,) = contacts
    assert c.risk == risk
    assert c.exposure_s == (pytest.approx(minutes * 60, abs=0.5) if exposed else 0.0)
    assert c.min_distance_m == pytest.approx(distance_m, abs=1e-5)
    assert c.sighting_ids == ("o",)


def test_approximate_distance_is_marked() -> None:
    (c,) = find_contacts(
        [_presence(16, 1.0, None, None, approximate=True)],
        get_policy("kdca-2022"),
        TraceSettings(),
        CAMERAS,
    )
    assert c.distance_approximate and c.patient_masked is None and c.contact_masked is None


def test_policy_distance_is_a_setting() -> None:
    wide = Policy(name="wide", distance_m=3.0, min_exposure_s=600)
    (c,) = find_contacts([_presence(16, 2.5, 0.0, 0.0)], wide, TraceSettings(), CAMERAS)
    assert c.risk == "high"


@pytest.mark.parametrize(
    ("k", "window_s", "expected"),
    [
        ([0, 1, 2, 3], None, 1.0),
        ([0, 1, 1, 2, 3, 3], None, 1.0),  # duplicates (two track pieces) counted once
        ([0, 1, 2, 3], 0.5, 0.5),
        # 10 min on day 1 and 10 min 30 h later: 20 min in all, at most 10 within 24 h
        ([*range(2400), *range(432_000, 434_400)], None, 1200.0),
        ([*range(2400), *range(432_000, 434_400)], 86400, 600.0),
        # 10 min, then 10 min 20 h later: both inside one 24 h window
        ([*range(2400), *range(288_000, 290_400)], 86400, 1200.0),
        ([], 86400, 0.0),
    ],
)
def test_exposure_seconds(k: list[int], window_s: float | None, expected: float) -> None:
    assert exposure_s(np.array(k, np.int64), 0.25, window_s) == pytest.approx(expected)


def test_cdc_24h_window_over_two_days() -> None:
    # 10 min with the patient, then 10 min again 30 h later: cdc never reaches 15 min
    # within 24 h; kdca (no window) sums both.
    def presence(t0: float, sid: str) -> StayPresence:
        p = sighting(f"p{sid}", "a", t0, t0 + 600, at(0, 0))
        o = sighting(
            f"o{sid}", "a", t0, t0 + 600, at(0, 1), face=face_photo(identity(9), int(t0) % 97)
        )
        return StayPresence(
            Stay("a", "S", t0, t0 + 600, 1.0, 0.0, "face", (p.sighting_id,)), (p,), (o,)
        )

    presences = [presence(T, "1"), presence(T + 30 * 3600, "2")]
    (cdc,) = find_contacts(presences, get_policy("cdc-2020"), TraceSettings(), CAMERAS)
    (kdca,) = find_contacts(presences, get_policy("kdca-2022"), TraceSettings(), CAMERAS)
    assert cdc.exposure_s == pytest.approx(600, abs=0.5) and cdc.risk == "medium"
    assert kdca.exposure_s == pytest.approx(1200, abs=1) and kdca.risk == "high"
    assert len(cdc.encounters) == 2


def test_split_tracks_are_counted_once() -> None:
    # Patient in two pieces, contact in three, over the same 20 minutes at 1 m.
    patient = tuple(
        sighting(f"p{i}", "a", T + lo, T + hi, at(0, 0))
        for i, (lo, hi) in enumerate([(0, 600), (600.25, 1200)])
    )
    clothes = look(5)
    others = tuple(
        sighting(f"o{i}", "a", T + lo, T + hi, at(0, 1), appearance=seen_look(clothes, i))
        for i, (lo, hi) in enumerate([(0, 300), (300.25, 900), (900.25, 1200)])
    )
    stay = Stay("a", "S", T, T + 1200, 1.0, 0.0, "face", ("p0", "p1"))
    (c,) = find_contacts(
        [StayPresence(stay, patient, others)], get_policy("kdca-2022"), TraceSettings(), CAMERAS
    )
    assert c.sighting_ids == ("o0", "o1", "o2")
    assert c.exposure_s == pytest.approx(1200, abs=1.5)  # not 1500: overlaps count once


def test_aligned_series_uses_the_epoch_grid() -> None:
    k, d = aligned_distance_series(
        [10.1, 12.1], [[0, 0], [2, 0]], [10.1, 13.1], [[0, 1], [3, 1]], 0.5
    )
    np.testing.assert_array_equal(k, [21, 22, 23, 24])  # 10.5 .. 12.0 s
    np.testing.assert_allclose(d, [1.0, 1.0, 1.0, 1.0], atol=1e-6)


def test_aligned_series_leaves_gaps_unknown() -> None:
    k, d = aligned_distance_series(
        [0, 1, 20, 21], np.zeros((4, 2)), np.arange(22), np.zeros((22, 2)), 1.0, 5.0
    )  # the first path is unseen from 1 s to 20 s
    assert np.isnan(d[(k > 1) & (k < 20)]).all() and (d[k <= 1] == 0).all()
    assert not counted_exposure(d, 2.0, False, True)[(k > 1) & (k < 20)].any()


@pytest.mark.parametrize(
    ("ratio", "masked"), [(None, False), (0.0, False), (0.49, False), (0.5, True), (1.0, True)]
)
def test_is_masked(ratio: float | None, masked: bool) -> None:
    assert is_masked(ratio, 0.5) is masked


@pytest.mark.parametrize(
    ("ratios", "counts", "expected"),
    [
        ([None, None], [0, 0], None),
        ([1.0, 0.0], [9, 1], True),
        ([1.0, 0.0], [1, 9], False),
        ([None, 0.8], [0, 3], True),
    ],
)
def test_mask_status(ratios: list[float | None], counts: list[int], expected: bool | None) -> None:
    assert mask_status(ratios, counts, 0.5) is expected


@pytest.mark.parametrize(
    ("exposure", "policy", "risk"),
    [
        (900, "kdca-2022", "high"),
        (899, "kdca-2022", "medium"),
        (300, "cdc-2020", "medium"),
        (299, "who-2020", "low"),
        (0, "who-2020", "low"),
    ],
)
def test_risk_of(exposure: float, policy: str, risk: str) -> None:
    assert risk_of(exposure, POLICIES[policy]) == risk


def test_contact_id_is_opaque_and_order_free() -> None:
    assert contact_id_of(["b", "a"]) == contact_id_of(["a", "b", "a"]) != contact_id_of(["a"])
    assert len(contact_id_of(["x"])) == 18


# -- merging people ----------------------------------------------------------------------------


def _person(
    sid: str,
    camera: str,
    t0: float,
    t1: float,
    *,
    face: int | None = None,
    clothes: int | None = None,
    seed: int = 0,
) -> object:
    return sighting(
        sid,
        camera,
        T + t0,
        T + t1,
        at(0, 0),
        face=None if face is None else face_photo(identity(face), seed),
        appearance=None if clothes is None else seen_look(look(clothes), seed),
    )


@pytest.mark.parametrize(
    ("units", "groups"),
    [
        # same face, two cameras, walking time enough
        ([("x", "a", 0, 60, 1, None), ("y", "b", 200, 260, 1, None)], [[0, 1]]),
        # other faces, same clothes: faces decide
        ([("x", "a", 0, 60, 1, 7), ("y", "b", 200, 260, 2, 7)], [[0], [1]]),
        # no faces, same clothes, reachable
        ([("x", "a", 0, 60, None, 7), ("y", "b", 200, 260, None, 7)], [[0, 1]]),
        # no faces, same clothes, 5 km in 140 s: two people
        ([("x", "a", 0, 60, None, 7), ("y", "far", 200, 260, None, 7)], [[0], [1]]),
        # same clothes at the same time in one camera: two people
        ([("x", "a", 0, 60, None, 7), ("y", "a", 30, 90, None, 7)], [[0], [1]]),
        # one face in a, later one in b, same face; a look-alike in a at the same time as b
        (
            [("x", "a", 0, 60, 1, 7), ("y", "b", 200, 260, 1, 7), ("z", "a", 200, 260, None, 7)],
            [[0, 1], [2]],
        ),
    ],
)
def test_group_same_people(
    units: list[tuple[str, str, float, float, int | None, int | None]], groups: list[list[int]]
) -> None:
    made = [
        _person(sid, cam, t0, t1, face=face, clothes=clothes, seed=i)
        for i, (sid, cam, t0, t1, face, clothes) in enumerate(units)
    ]
    assert group_same_people(made, CAMERAS, TraceSettings()) == groups  # type: ignore[arg-type]


@pytest.mark.parametrize(("distance_m", "listed"), [(0.1, False), (0.3, False), (0.5, True)])
def test_a_track_on_top_of_the_patient_is_their_duplicate_not_a_contact(
    distance_m: float, listed: bool
) -> None:
    contacts = find_contacts(
        [_presence(3, distance_m, None, None)], get_policy("kdca-2022"), TraceSettings(), CAMERAS
    )
    assert (len(contacts) == 1) is listed


# -- pieces of one person, occlusions, noise --------------------------------------------------


def test_an_occlusion_between_pieces_is_interpolated() -> None:
    # Patient and contact 1 m apart for 20 min; the contact is hidden for 8 s twice (three
    # pieces), the patient once for 6 s: still 20 minutes of exposure.
    patient = (
        sighting("p0", "a", T, T + 600, at(0, 0)),
        sighting("p1", "a", T + 606, T + 1200, at(0, 0)),
    )
    clothes = look(5)
    others = tuple(
        sighting(f"o{i}", "a", T + lo, T + hi, at(0, 1), appearance=seen_look(clothes, i))
        for i, (lo, hi) in enumerate([(0, 300), (308, 900), (908, 1200)])
    )
    stay = Stay("a", "S", T, T + 1200, 1.0, 0.0, "face", ("p0", "p1"))
    (c,) = find_contacts(
        [StayPresence(stay, patient, others)], get_policy("kdca-2022"), TraceSettings(), CAMERAS
    )
    assert c.exposure_s == pytest.approx(1200, abs=0.5) and c.risk == "high"
    # An unseen stretch longer than path_max_gap_s stays unknown: 8 s gaps, 5 s allowed.
    (c,) = find_contacts(
        [StayPresence(stay, patient, others)],
        get_policy("kdca-2022"),
        TraceSettings(path_max_gap_s=5.0),
        CAMERAS,
    )
    assert c.exposure_s == pytest.approx(1200 - 2 * 8 - 6, abs=2)


def test_smoothing_halves_foot_point_jitter() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(0, 600, 0.25, dtype=np.float64)
    still = np.column_stack([np.full_like(t, 1.0), np.zeros_like(t)])
    xy = np.asarray(still + rng.normal(0, 0.1, (len(t), 2)), np.float64)
    assert np.std(smooth_path(t, xy, 1.0)[:, 0]) < 0.55 * np.std(xy[:, 0])
    np.testing.assert_array_equal(smooth_path(t, xy, 0.0), xy)  # 0: raw
    walking = np.asarray(np.column_stack([1.4 * t, np.zeros_like(t)]), np.float64)
    assert np.allclose(smooth_path(t, walking, 1.0)[4:-4], walking[4:-4])  # no lag


def test_standing_still_is_told_from_walking() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(0, 300, 0.25)
    standing = np.column_stack([np.full_like(t, 2.0), np.ones_like(t)])
    standing += rng.normal(0, 0.05, standing.shape)  # foot-point jitter after smoothing
    standing[400:440] = np.nan  # unseen for 10 s
    still = still_mask(standing, 0.25, 30.0, 0.5)
    inner = still[120:-120]  # a full window on each side
    assert inner[:280].all() and not inner[280:320].any() and inner[440:].all()
    walking = np.column_stack([0.8 * t, np.zeros_like(t)])  # a slow walk
    assert not still_mask(walking, 0.25, 30.0, 0.5).any()
    assert not still_mask(standing[:200], 0.25, 30.0, 0.5).any()  # too short to tell


def _pieces(
    rng: np.random.Generator, xy: NDArray[np.float64], n: int, bias: float, jitter: float
) -> NDArray[np.float64]:
    """``xy`` as ``n`` track pieces, each with its own constant offset, plus jitter."""
    out = xy + rng.normal(0, jitter, xy.shape)
    for part in np.array_split(np.arange(len(xy)), n):
        out[part] += rng.normal(0, bias, 2)
    return np.asarray(out, np.float64)


def test_standing_together_pools_every_piece_into_one_distance() -> None:
    # Two people stand 0.95 m apart for 20 minutes, each seen as 5 pieces with their own
    # foot-point offset (8 cm per axis, the simulator's default): minute by minute the
    # distance reads 0.8-1.1 m; pooled over the stretch it reads one closer figure.
    settings = TraceSettings()
    t = np.arange(0, 1200, 0.25, dtype=np.float64)
    a0 = np.column_stack([np.full_like(t, 3.0), np.full_like(t, 2.0)])
    b0 = a0 + np.array([0.95, 0.0])
    pooled_err, sample_err = [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        a = smooth_path(t, _pieces(rng, a0, 5, 0.08, 0.1), 1.0)
        b = smooth_path(t, _pieces(rng, b0, 5, 0.08, 0.1), 1.0)
        raw = np.hypot(*(a - b).T)
        steady = steady_distance(a, b, 0.25, settings)
        inner = slice(240, -240)  # a minute in from each end: pooled
        assert np.ptp(steady[inner]) == 0.0  # one figure for the stretch
        pooled_err.append(abs(steady[600] - 0.95))
        sample_err.append(float(np.mean(np.abs(raw - 0.95))))
    assert np.mean(pooled_err) < 0.6 * np.mean(sample_err)
    off = steady_distance(a, b, 0.25, TraceSettings(still_min_s=0.0))
    np.testing.assert_array_equal(off, np.hypot(*(a - b).T))  # 0: every sample on its own


def test_moving_people_keep_their_distance_sample_by_sample() -> None:
    settings = TraceSettings()
    t = np.arange(0, 600, 0.25)
    walker = np.column_stack([1.2 * t - 300, np.zeros_like(t)])  # passes by at t = 250 s
    stander = np.column_stack([np.zeros_like(t), np.full_like(t, 0.8)])
    d = steady_distance(walker, stander, 0.25, settings)
    np.testing.assert_allclose(d, np.hypot(*(walker - stander).T))
    # Standing 0.6 m away for 5 minutes, then 3 m away for 5 minutes: two figures.
    moved = np.where((t < 300)[:, None], [0.6, 0.8], [3.0, 0.8])
    still = np.column_stack([np.zeros_like(t), np.full_like(t, 0.8)])
    d = steady_distance(moved, still, 0.25, settings)
    assert d[400] == pytest.approx(0.6) and d[2000] == pytest.approx(3.0)


def test_a_meeting_read_across_piece_offsets_counts_whole() -> None:
    # 0.95 m apart for 20 minutes under who-2020 (1 m): the contact's four pieces are each
    # off by 8 cm, two away from the patient and two towards, so sample by sample half
    # the meeting reads over 1 m (600 s: medium risk); pooled it reads 0.95 m (high).
    patient = (sighting("p", "a", T, T + 1200, at(0, 0)),)
    offsets = [0.08, -0.08, 0.08, -0.08]
    clothes = look(7)
    others = tuple(
        sighting(
            f"o{i}",
            "a",
            T + 300 * i,
            T + 300 * (i + 1) - 1,
            at(0, 0.95 + off),
            appearance=seen_look(clothes, i),
        )
        for i, off in enumerate(offsets)
    )
    stay = Stay("a", "S", T, T + 1200, 1.0, 0.0, "face", ("p",))
    presence = [StayPresence(stay, patient, others)]
    who = get_policy("who-2020")
    (sample,) = find_contacts(presence, who, TraceSettings(still_min_s=0.0), CAMERAS)
    (pooled,) = find_contacts(presence, who, TraceSettings(), CAMERAS)
    assert sample.exposure_s == pytest.approx(600, abs=15) and sample.risk == "medium"
    # All but the first 30 s (a window is needed to tell that they stand still: there the
    # first piece reads 1.03 m).
    assert pooled.exposure_s == pytest.approx(1170, abs=2) and pooled.risk == "high"
    k, at_p, at_c = aligned_positions(
        patient[0].path_t_s,
        patient[0].path_floor_xy_m,
        others[0].path_t_s,
        others[0].path_floor_xy_m,
        0.25,
    )
    assert len(k) == len(at_p) == len(at_c) == 299 * 4 + 1


def test_pieces_count_once_each_in_a_standing_distance() -> None:
    # Each track piece carries one foot-point offset (8 cm per axis) however long it is,
    # so pieces of unequal length (as track breaks and checkpoints cut them) are
    # averaged best by counting each piece once: over 60 random meetings the error of
    # the standing distance is smaller that way than over samples (about 0.8 of it, the
    # same over 200).
    settings = TraceSettings()
    t = np.arange(0, 1200, 0.25, dtype=np.float64)
    a0 = np.column_stack([np.full_like(t, 3.0), np.full_like(t, 2.0)])
    b0 = a0 + np.array([0.95, 0.0])
    by_sample, by_piece = [], []
    for seed in range(60):
        rng = np.random.default_rng([seed, 15])
        sides, labels = [], []
        for xy in (a0, b0):
            cuts = np.sort(rng.choice(np.arange(40, len(t) - 40), 5, replace=False))
            label = np.searchsorted(cuts, np.arange(len(t)), side="right").astype(np.int64)
            out = xy + rng.normal(0, 0.1, xy.shape)
            out += rng.normal(0, 0.08, (len(cuts) + 1, 2))[label]
            sides.append(smooth_path(t, out, 1.0))
            labels.append(label)
        mid = len(t) // 2
        a, b = sides
        by_sample.append(abs(steady_distance(a, b, 0.25, settings)[mid] - 0.95))
        pieces = (labels[0], labels[1])
        by_piece.append(abs(steady_distance(a, b, 0.25, settings, pieces)[mid] - 0.95))
    assert np.sqrt(np.mean(np.square(by_piece))) < 0.9 * np.sqrt(np.mean(np.square(by_sample)))


def test_piece_mean_and_labels() -> None:
    xy = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [5.0, 5.0]])
    # Three samples of piece 0 at x 0, one of piece 1 at x 1, one from no piece: (0.5, 0).
    np.testing.assert_allclose(piece_mean(xy, np.array([0, 0, 0, 1, -1])), [0.5, 0.0])
    np.testing.assert_allclose(piece_mean(xy, np.full(5, -1)), [1.2, 1.0])  # none: samples
    first = sighting("x", "a", T, T + 10, at(0, 0))
    second = sighting("y", "a", T + 20, T + 30, at(0, 0))
    times = T + np.array([0.0, 10.0, 15.0, 20.0, 31.0])
    assert piece_labels([first, second], times).tolist() == [0, 0, -1, 1, -1]


def test_a_long_offset_piece_does_not_outweigh_the_others() -> None:
    # 0.95 m apart for 20 minutes under who-2020 (1 m): one 15-minute piece of the contact
    # is off by 12 cm away from the patient, three 100 s pieces by 2 cm towards. Over
    # samples the contact stands 1.035 m away (a miss); four pieces, each counted once,
    # put them 0.965 m apart and the meeting counts.
    patient = (sighting("p", "a", T, T + 1200, at(0, 0)),)
    clothes = look(7)
    spans = [(0, 900, 0.12), (900, 1000, -0.02), (1000, 1100, -0.02), (1100, 1200, -0.02)]
    others = tuple(
        sighting(
            f"o{i}",
            "a",
            T + t0,
            T + t1 - 1,
            at(0, 0.95 + off),
            appearance=seen_look(clothes, i),
        )
        for i, (t0, t1, off) in enumerate(spans)
    )
    stay = Stay("a", "S", T, T + 1200, 1.0, 0.0, "face", ("p",))
    (contact,) = find_contacts(
        [StayPresence(stay, patient, others)], get_policy("who-2020"), TraceSettings(), CAMERAS
    )
    assert contact.risk == "high" and contact.exposure_s > 1100


def test_one_look_alike_pair_does_not_merge_two_people() -> None:
    # Person X in three pieces, person Y in two, in one camera at different times, and
    # between them a piece in clothes halfway between theirs (alike to both). Single
    # linkage chains all six into one person; on average X and Y do not look alike.
    x, y = look(1), look(2)
    mid = np.concatenate(
        [
            (x[:CNN_DIM] + y[:CNN_DIM]) / np.linalg.norm(x[:CNN_DIM] + y[:CNN_DIM]),
            (x[CNN_DIM:] + y[CNN_DIM:]) / np.linalg.norm(x[CNN_DIM:] + y[CNN_DIM:]),
        ]
    ).astype(np.float32)
    looks = [x, x, x, mid, y, y]
    units = [
        sighting(f"u{i}", "a", T + 100 * i, T + 100 * i + 50, at(0, 0), appearance=seen_look(v, i))
        for i, v in enumerate(looks)
    ]
    groups = group_same_people(units, CAMERAS, TraceSettings())
    assert not any({0, 5} <= set(g) for g in groups)
    assert any({0, 1, 2} <= set(g) for g in groups) and any({4, 5} <= set(g) for g in groups)


def test_clearly_different_unmasked_faces_are_never_one_person() -> None:
    # Same clothes, reachable, a faceless piece between them: without the face rule
    # the three would be one person.
    clothes = look(7)
    units = [
        sighting(
            "x",
            "a",
            T,
            T + 60,
            at(0, 0),
            face=face_photo(identity(1), 1),
            appearance=seen_look(clothes, 1),
            mask_ratio=0.0,
        ),
        sighting("m", "a", T + 100, T + 160, at(0, 0), appearance=seen_look(clothes, 2)),
        sighting(
            "y",
            "a",
            T + 200,
            T + 260,
            at(0, 0),
            face=face_photo(identity(2), 3),
            appearance=seen_look(clothes, 3),
            mask_ratio=0.0,
        ),
    ]
    groups = group_same_people(units, CAMERAS, TraceSettings())
    assert not any({0, 2} <= set(g) for g in groups)


def test_someone_walking_in_beside_the_patient_is_a_contact_not_a_duplicate() -> None:
    # 0.2 m apart (closer than a shoulder width on the floor) but dressed differently.
    patient = sighting("p", "a", T, T + 960, at(0, 0), appearance=seen_look(look(1), 1))
    other = sighting("o", "a", T, T + 960, at(0, 0.2), appearance=seen_look(look(2), 2))
    stay = Stay("a", "S", T, T + 960, 1.0, 0.0, "face", ("p",))
    (c,) = find_contacts(
        [StayPresence(stay, (patient,), (other,))],
        get_policy("kdca-2022"),
        TraceSettings(),
        CAMERAS,
    )
    assert c.risk == "high"


@pytest.mark.parametrize(("contact_face", "listed"), [(2, True), (1, False), (None, False)])
def test_a_close_track_with_another_face_is_a_contact_not_a_duplicate(
    contact_face: int | None, listed: bool
) -> None:
    # 0.2 m apart in the same clothes: a duplicate box of the patient, unless its face is
    # someone else's (identity 2); the patient's own face or none is no evidence against.
    clothes = look(1)
    patient = sighting(
        "p",
        "a",
        T,
        T + 960,
        at(0, 0),
        appearance=seen_look(clothes, 1),
        face=face_photo(identity(1), 1),
    )
    face = None if contact_face is None else face_photo(identity(contact_face), 2)
    other = sighting("o", "a", T, T + 960, at(0, 0.2), appearance=seen_look(clothes, 2), face=face)
    stay = Stay("a", "S", T, T + 960, 1.0, 0.0, "face", ("p",))
    contacts = find_contacts(
        [StayPresence(stay, (patient,), (other,))],
        get_policy("kdca-2022"),
        TraceSettings(),
        CAMERAS,
    )
    assert [c.risk for c in contacts] == (["high"] if listed else [])
