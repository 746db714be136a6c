from __future__ import annotations

import numpy as np
import pytest

from cctrace.tracking.kalman import BoxKalmanFilter, cxcywh_to_xyxy, xyxy_to_cxcywh

KF = BoxKalmanFilter()


def test_box_conversions_round_trip() -> None:
    xyxy = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 1.0, 3.0]])
    cxcywh = xyxy_to_cxcywh(xyxy)
    np.testing.assert_allclose(cxcywh[0], [30.0, 70.0, 40.0, 100.0])
    np.testing.assert_allclose(cxcywh_to_xyxy(cxcywh), xyxy)


@pytest.mark.parametrize(
    "dts_s",
    [
        [0.25] * 12,  # steady 4 fps
        [0.2, 0.3, 0.25, 1.0, 0.25, 0.18, 0.5, 0.25, 0.3, 0.25, 0.22, 0.28],  # skips, VFR
        [1.0] * 8,  # one frame a second
        [0.033] * 40,  # full 30 fps
    ],
)
def test_constant_velocity_is_learnt_whatever_the_time_steps(dts_s: list[float]) -> None:
    velocity = np.array([120.0, -30.0, 0.0, 0.0])  # pixels per second
    box0 = np.array([200.0, 300.0, 60.0, 150.0])
    mean, cov = KF.initiate(box0[None])
    t = 0.0
    for dt in dts_s:
        t += dt
        mean, cov = KF.predict(mean, cov, dt)
        mean, cov = KF.update(mean, cov, (box0 + velocity * t)[None])
    np.testing.assert_allclose(mean[0, 4:6], velocity[:2], atol=6.0)
    # A lost track is carried forward by its velocity: 1.5 s later it is where it should be.
    pred, _ = KF.predict(mean, cov, 1.5)
    np.testing.assert_allclose(pred[0, :2], (box0 + velocity * (t + 1.5))[:2], atol=10.0)


def test_predict_composes_over_time() -> None:
    rng = np.random.default_rng(1)
    mean = np.concatenate([rng.uniform(50, 500, (3, 4)), rng.normal(0, 40, (3, 4))], axis=1)
    _, cov = KF.initiate(mean[:, :4])
    once = KF.predict(mean, cov, 0.7)
    twice = KF.predict(*KF.predict(mean, cov, 0.3), 0.4)
    np.testing.assert_allclose(once[0], twice[0], rtol=1e-9)
    # Noise is scaled by the predicted height, which moves with its velocity between the
    # two steps; composition is exact only up to that.
    np.testing.assert_allclose(once[1], twice[1], rtol=0.05, atol=1e-6)


def test_predict_is_vectorised_with_a_time_step_per_track() -> None:
    mean, cov = KF.initiate(np.array([[100.0, 100.0, 40.0, 100.0], [300.0, 200.0, 80.0, 200.0]]))
    mean[:, 4] = [10.0, -20.0]
    dts = np.array([0.25, 1.0])
    both = KF.predict(mean, cov, dts)
    for i in range(2):
        single = KF.predict(mean[i : i + 1], cov[i : i + 1], dts[i])
        np.testing.assert_allclose(both[0][i], single[0][0])
        np.testing.assert_allclose(both[1][i], single[1][0])


def test_zero_time_step_changes_nothing_and_negative_is_refused() -> None:
    mean, cov = KF.initiate(np.array([[100.0, 100.0, 40.0, 100.0]]))
    m0, c0 = KF.predict(mean, cov, 0.0)
    np.testing.assert_allclose(m0, mean)
    np.testing.assert_allclose(c0, cov)
    with pytest.raises(ValueError, match="dt_s"):
        KF.predict(mean, cov, -0.1)


@pytest.mark.parametrize("height_px", [50.0, 100.0, 400.0])
def test_uncertainty_grows_with_time_and_scales_with_height(height_px: float) -> None:
    mean, cov = KF.initiate(np.array([[100.0, 100.0, 0.4 * height_px, height_px]]))
    _, c_short = KF.predict(mean, cov, 0.25)
    _, c_long = KF.predict(mean, cov, 1.0)
    assert c_long[0, 0, 0] > c_short[0, 0, 0] > cov[0, 0, 0]
    # All noise is in units of the height: the relative uncertainty is size-free.
    assert c_long[0, 0, 0] / height_px**2 == pytest.approx(
        KF.predict(*KF.initiate(np.array([[0.0, 0.0, 40.0, 100.0]])), 1.0)[1][0, 0, 0] / 100.0**2
    )


def test_update_pulls_towards_measurement_and_shrinks_covariance() -> None:
    mean, cov = KF.initiate(np.array([[100.0, 100.0, 40.0, 100.0]]))
    mean, cov = KF.predict(mean, cov, 0.5)
    new_mean, new_cov = KF.update(mean, cov, np.array([[110.0, 100.0, 40.0, 100.0]]))
    assert 100.0 < new_mean[0, 0] < 110.0
    assert np.all(np.diag(new_cov[0])[:4] < np.diag(cov[0])[:4])
    np.testing.assert_allclose(new_cov[0], new_cov[0].T)
