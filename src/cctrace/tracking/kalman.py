"""Constant-velocity Kalman filter for boxes, vectorised over tracks, with a real time step.

State per track, shape (8,): ``cx, cy, w, h`` in pixels (box centre and size) followed by
their velocities in pixels per second. Measurements are boxes ``cx, cy, w, h`` (4,).
Arrays carry a leading track axis: means (N, 8), covariances (N, 8, 8).

Unlike ByteTrack/DeepSORT, which advance one video frame per predict, `predict` takes the
elapsed time ``dt_s`` per track: cctrace samples about 4 frames per second and skips
frames without motion, so the gap between updates varies. Process noise is the
continuous white-noise-acceleration model, which composes exactly (two predicts of 0.25 s
equal one of 0.5 s), so a lost track can be predicted straight from its last update.

As in ByteTrack/DeepSORT, every noise term is proportional to the box height: a person
twice as close to the camera is twice as tall and moves twice as many pixels.
Width is tracked rather than aspect ratio (as in BoT-SORT): a walker's width swings with
the stride, and in aspect ratio that swing would be coupled to the height.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]

_NDIM = 4  # cx, cy, w, h


def xyxy_to_cxcywh(box_xyxy: ArrayLike) -> F64:
    """(N, 4) corners -> (N, 4) centre x, centre y, width, height (pixels)."""
    b = np.asarray(box_xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack(
        [(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]],
        axis=1,
    )


def cxcywh_to_xyxy(box_cxcywh: ArrayLike) -> F64:
    """(N, 4) centre x, centre y, width, height -> (N, 4) corners (pixels)."""
    b = np.asarray(box_cxcywh, dtype=np.float64).reshape(-1, 4)
    half = b[:, 2:] / 2
    return np.concatenate([b[:, :2] - half, b[:, :2] + half], axis=1)


@dataclass(frozen=True)
class BoxKalmanFilter:
    """Noise settings, all as fractions of the box height ``h``; methods are pure.

    - ``meas_std_h``: detector noise on each box coordinate (ByteTrack's 1/20).
    - ``accel_std_h_per_s2``: spectral density (as a std) of the random acceleration of
      the centre, in heights per s² per √s. A walker starts, stops and turns within
      about a second at ~0.8 heights per second, hence the order of 1 h/s².
    - ``size_accel_std_h_per_s2``: the same for width and height, which change slowly
      (walking towards the camera) except for the stride swing caught by ``meas_std_h``.
    - ``init_pos_std_h``, ``init_vel_std_h_per_s``: uncertainty of a new track. The
      velocity prior covers walking speed (a 1.7 m person at 1.4 m/s moves 0.8 h/s).
    """

    meas_std_h: float = 0.05
    accel_std_h_per_s2: float = 1.0
    size_accel_std_h_per_s2: float = 0.25
    init_pos_std_h: float = 0.1
    init_vel_std_h_per_s: float = 0.8

    def initiate(self, box_cxcywh: ArrayLike) -> tuple[F64, F64]:
        """New tracks at rest from (N, 4) measurements: means (N, 8), covariances (N, 8, 8)."""
        z = np.asarray(box_cxcywh, dtype=np.float64).reshape(-1, _NDIM)
        n = len(z)
        mean = np.concatenate([z, np.zeros_like(z)], axis=1)
        h = np.maximum(z[:, 3], 1.0)
        std = np.concatenate(
            [
                np.repeat((self.init_pos_std_h * h)[:, None], _NDIM, axis=1),
                np.repeat((self.init_vel_std_h_per_s * h)[:, None], _NDIM, axis=1),
            ],
            axis=1,
        )
        cov = np.zeros((n, 2 * _NDIM, 2 * _NDIM))
        idx = np.arange(2 * _NDIM)
        cov[:, idx, idx] = std**2
        return mean, cov

    def predict(self, mean: ArrayLike, cov: ArrayLike, dt_s: ArrayLike) -> tuple[F64, F64]:
        """Advance (N, 8) means and (N, 8, 8) covariances by ``dt_s`` seconds, scalar or (N,).

        A negative ``dt_s`` is an error (frames out of order); 0 returns the input.
        """
        m = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        p = np.asarray(cov, dtype=np.float64).reshape(-1, 2 * _NDIM, 2 * _NDIM)
        dt = np.broadcast_to(np.asarray(dt_s, dtype=np.float64), (len(m),))
        if np.any(dt < 0):
            raise ValueError(f"dt_s must be >= 0 (frames in time order), got {dt.min()}")
        n = len(m)
        f = np.broadcast_to(np.eye(2 * _NDIM), (n, 2 * _NDIM, 2 * _NDIM)).copy()
        f[:, np.arange(_NDIM), np.arange(_NDIM) + _NDIM] = dt[:, None]
        h = np.maximum(m[:, 3], 1.0)
        # Continuous white-noise acceleration: per coordinate, q * [[dt³/3, dt²/2],
        # [dt²/2, dt]] with q the acceleration spectral density (variance per second).
        q_centre = (self.accel_std_h_per_s2 * h) ** 2
        q_size = (self.size_accel_std_h_per_s2 * h) ** 2
        q = np.stack([q_centre, q_centre, q_size, q_size], axis=1)  # (N, 4)
        qmat = np.zeros((n, 2 * _NDIM, 2 * _NDIM))
        pos, vel = np.arange(_NDIM), np.arange(_NDIM) + _NDIM
        dt_col = dt[:, None]
        qmat[:, pos, pos] = q * dt_col**3 / 3
        qmat[:, pos, vel] = q * dt_col**2 / 2
        qmat[:, vel, pos] = q * dt_col**2 / 2
        qmat[:, vel, vel] = q * dt_col
        new_mean = np.einsum("nij,nj->ni", f, m)
        new_cov = f @ p @ f.transpose(0, 2, 1) + qmat
        return new_mean, new_cov

    def project(self, mean: ArrayLike, cov: ArrayLike) -> tuple[F64, F64]:
        """Measurement-space means (N, 4) and innovation covariances (N, 4, 4)."""
        m = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        p = np.asarray(cov, dtype=np.float64).reshape(-1, 2 * _NDIM, 2 * _NDIM)
        h = np.maximum(m[:, 3], 1.0)
        r = (self.meas_std_h * h) ** 2
        s = p[:, :_NDIM, :_NDIM].copy()
        idx = np.arange(_NDIM)
        s[:, idx, idx] += r[:, None]
        return m[:, :_NDIM].copy(), s

    def update(self, mean: ArrayLike, cov: ArrayLike, box_cxcywh: ArrayLike) -> tuple[F64, F64]:
        """Correct (N, 8) / (N, 8, 8) predictions with (N, 4) measured boxes, row by row."""
        m = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        p = np.asarray(cov, dtype=np.float64).reshape(-1, 2 * _NDIM, 2 * _NDIM)
        z = np.asarray(box_cxcywh, dtype=np.float64).reshape(-1, _NDIM)
        if len(z) != len(m):
            raise ValueError(f"{len(m)} states but {len(z)} measurements")
        z_pred, s = self.project(m, p)
        # Kalman gain K = P Hᵀ S⁻¹ with H = [I 0]; solve rather than invert for stability.
        pht = p[:, :, :_NDIM]  # (N, 8, 4)
        gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)  # (N, 8, 4)
        innovation = z - z_pred
        new_mean = m + np.einsum("nij,nj->ni", gain, innovation)
        new_cov = p - gain @ s @ gain.transpose(0, 2, 1)
        # Symmetrise: float error otherwise accumulates over long tracks.
        new_cov = (new_cov + new_cov.transpose(0, 2, 1)) / 2
        return new_mean, new_cov
